/// A canary's state as published to the other instances (shared mode) after any move: the
/// newest one, whichever instance made it, is the canary's state everywhere, so every
/// instance sends the same share of conversations to the new side.
struct SharedCanaryDecision: Codable, Equatable, Sendable {
    var state: CanaryState
    /// The instance that moved it.
    var instance: String
}
