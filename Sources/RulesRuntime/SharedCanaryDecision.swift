/// A canary's state as published to the other instances (shared mode) after any move: the
/// newest one, whichever instance made it, is the canary's state everywhere, so every
/// instance sends the same share of conversations to the new side.
package struct SharedCanaryDecision: Codable, Equatable, Sendable {
    package var state: CanaryState
    /// The instance that moved it.
    package var instance: String

    package init(state: CanaryState, instance: String) {
        self.state = state
        self.instance = instance
    }
}
