/// The store's health, as the status document and `/readyz` show it.
package struct StoreStatus: Codable, Sendable, Equatable {
    /// `ok` or `degraded`.
    package var status: String
    @Nullable package var reason: String?
    @Nullable package var message: String?
    @Nullable package var failingSince: Double?
    @Nullable package var lastFailureAt: Double?

    package init(status: String, reason: String?, message: String?, failingSince: Double?, lastFailureAt: Double?) {
        self.status = status
        self.reason = reason
        self.message = message
        self.failingSince = failingSince
        self.lastFailureAt = lastFailureAt
    }

    enum CodingKeys: String, CodingKey {
        case status, reason, message
        case failingSince = "failing_since"
        case lastFailureAt = "last_failure_at"
    }
}
