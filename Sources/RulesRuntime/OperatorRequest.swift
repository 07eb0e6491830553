/// Who asks for an operator action and why: every write through the control API names a
/// reason (required) and may set an expiry after which the rules govern again.
package struct OperatorRequest: Sendable, Equatable {
    /// `operator:<name>`.
    package var actor: String
    package var reason: String
    /// Seconds until the override expires; nil keeps it until it is cleared.
    var ttl: Double?

    package init(actor: String, reason: String, ttl: Double? = nil) {
        self.actor = actor
        self.reason = reason
        self.ttl = ttl
    }
}
