public import BallastCore

/// Decides when a loss of records is logged: at most one line per kind of loss every
/// `interval`, carrying how many were lost since the previous line. A policy value:
/// it is given the running totals and the time and returns the lines due.
///
/// A full disk at 200 req/s loses 200 records a second; a line each would bury every other
/// log line, none would hide that it is happening. The first loss of a kind is logged at once.
public struct DropLogThrottle: Sendable, Equatable {
    /// One kind of loss: what was lost and why.
    public struct Key: Hashable, Sendable, Comparable {
        /// `request records` or `audit events`.
        public var what: String
        public var reason: StoreFailureReason

        public init(what: String, reason: StoreFailureReason) {
            self.what = what
            self.reason = reason
        }

        public static func < (lhs: Key, rhs: Key) -> Bool { (lhs.what, lhs.reason) < (rhs.what, rhs.reason) }
    }

    /// A line to log.
    public struct Line: Sendable, Equatable {
        public var key: Key
        /// Lost since the previous line for this key.
        public var count: Int
        /// Lost since start.
        public var total: Int
    }

    public static let defaultInterval: Duration = .seconds(10)

    public var interval: Duration
    private var reported: [Key: Int] = [:]
    private var lastLineAt: [Key: MonotonicInstant] = [:]

    public init(interval: Duration = DropLogThrottle.defaultInterval) {
        precondition(interval > .zero, "the log interval must be positive")
        self.interval = interval
    }

    /// The lines due at `now` for the running `totals`; with `force` (at close), every loss
    /// not yet reported, whatever the interval.
    public mutating func due(totals: [Key: Int], now: MonotonicInstant, force: Bool = false) -> [Line] {
        var lines: [Line] = []
        for (key, total) in totals.sorted(by: { $0.key < $1.key }) {
            let before = reported[key, default: 0]
            guard total > before else { continue }
            if !force, let last = lastLineAt[key], now - last < interval { continue }
            lines.append(Line(key: key, count: total - before, total: total))
            reported[key] = total
            lastLineAt[key] = now
        }
        return lines
    }
}
