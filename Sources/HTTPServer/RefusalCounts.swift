import Synchronization

/// Requests and connections a server (or a handler behind it) refused or closed, by reason:
/// what `ballast_requests_refused_total{reason}` shows. Reasons are a small fixed set named in
/// code (never taken from a request), so the label stays bounded.
public final class RefusalCounts: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    public init() {}

    public func add(_ reason: String) {
        counts.withLock { $0[reason, default: 0] += 1 }
    }

    public func count(_ reason: String) -> Int {
        counts.withLock { $0[reason] ?? 0 }
    }

    public func snapshot() -> [String: Int] {
        counts.withLock { $0 }
    }
}
