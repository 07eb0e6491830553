/// Who asks for an operator action and why: every write through the control API names a
/// reason (required) and may set an expiry after which the rules govern again.
struct OperatorRequest: Sendable, Equatable {
    /// `operator:<name>`.
    var actor: String
    var reason: String
    /// Seconds until the override expires; nil keeps it until it is cleared.
    var ttl: Double?
}
