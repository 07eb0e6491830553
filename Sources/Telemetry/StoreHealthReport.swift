/// The store's health as `/readyz`, the status document and `ballast_store_healthy` show it.
public struct StoreHealthReport: Sendable, Equatable {
    public var healthy: Bool
    /// Why the last write failed (nil when healthy).
    public var reason: StoreFailureReason?
    /// SQLite's message for the last failure (nil when healthy).
    public var message: String?
    /// Wall seconds of the first failure since the store last took a write (nil when healthy).
    public var failingSince: Double?
    /// Wall seconds of the last failure ever seen, healthy or not (nil if none).
    public var lastFailureAt: Double?

    public init(healthy: Bool, reason: StoreFailureReason?, message: String?, failingSince: Double?, lastFailureAt: Double?) {
        self.healthy = healthy
        self.reason = reason
        self.message = message
        self.failingSince = failingSince
        self.lastFailureAt = lastFailureAt
    }
}
