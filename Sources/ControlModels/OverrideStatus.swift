/// An operator's override as the control API shows it (`/overrides`, and inside regions,
/// circuits and the degradation document). Times are wall-clock seconds.
package struct OverrideStatus: Codable, Sendable, Equatable {
    /// `drain`, `weight`, `circuit_open`, `circuit_close` or `degrade`.
    package var action: String
    package var target: String
    /// The pinned weight or level.
    @Nullable package var value: Int?
    package var reason: String
    package var actor: String
    @Nullable package var setAt: Double?
    @Nullable package var expiresAt: Double?
    @Nullable package var expiresInSeconds: Double?

    package init(
        action: String, target: String, value: Int?, reason: String, actor: String, setAt: Double?, expiresAt: Double?,
        expiresInSeconds: Double?
    ) {
        self.action = action
        self.target = target
        self.value = value
        self.reason = reason
        self.actor = actor
        self.setAt = setAt
        self.expiresAt = expiresAt
        self.expiresInSeconds = expiresInSeconds
    }

    enum CodingKeys: String, CodingKey {
        case action, target, value, reason, actor
        case setAt = "set_at"
        case expiresAt = "expires_at"
        case expiresInSeconds = "expires_in_seconds"
    }
}
