/// One decision an operator took through the control API. It outranks the rules for its
/// target until it is cleared or its `expiresAt` passes; then the rules govern again.
/// Stored as JSON in the store's `state` table, so it survives a restart; times are wall
/// clock seconds for that reason.
public struct OperatorOverride: Sendable, Equatable, Codable {
    public enum Action: String, Sendable, Codable, CaseIterable {
        /// The region gets no traffic at all, not even retries or probes.
        case drain
        /// The region's weight is pinned to `value`.
        case weight
        /// The circuit is held open: requests it covers go elsewhere or fail fast.
        case circuitOpen = "circuit_open"
        /// The circuit is held closed: the rules may not trip it.
        case circuitClose = "circuit_close"
        /// The degradation level is pinned to `value` (0: no degradation).
        case degrade
    }

    public var action: Action
    /// `region=primary`, a circuit target such as `region=primary,model=claude-opus-4-1`, or
    /// `degradation`.
    public var target: String
    /// The pinned weight or level.
    public var value: Int?
    public var reason: String
    /// `operator:<name>`.
    public var actor: String
    /// When it was set and when it lapses: wall-clock seconds since the Unix epoch, because an
    /// override is stored, shared with the other instances and shown to operators as a date.
    public var setAt: Double
    public var expiresAt: Double?

    public init(
        action: Action, target: String, value: Int? = nil, reason: String, actor: String, setAt: Double,
        expiresAt: Double? = nil
    ) {
        self.action = action
        self.target = target
        self.value = value
        self.reason = reason
        self.actor = actor
        self.setAt = setAt
        self.expiresAt = expiresAt
    }

    public func isExpired(at wall: Double) -> Bool {
        guard let expiresAt else { return false }
        return wall >= expiresAt
    }

    /// `drain`, `weight=3`, `circuit_open`, `level=2`: the audit entry's action.
    public var summary: String {
        switch action {
        case .weight: "weight=\(value ?? 0)"
        case .degrade: "level=\(value ?? 0)"
        default: action.rawValue
        }
    }
}
