import BallastCore
import BallastTesting
import Foundation
import Synchronization
import BallastSimulator

/// Every finished request of one path, kept whole (a demo makes a few thousand) so that any
/// window, phase or percentile can be computed exactly, failures included.
final class DemoTally: Sendable {
    private let origin: MonotonicInstant
    private let records = Mutex<[DemoRecord]>([])

    init(origin: MonotonicInstant) {
        self.origin = origin
    }

    func record(_ outcome: LoadOutcome) {
        let record = DemoRecord(
            scheduled: outcome.scheduledAt.seconds(since: origin),
            completed: outcome.completedAt.seconds(since: origin), succeeded: outcome.succeeded,
            status: outcome.status, region: outcome.headers["x-ballast-region"],
            attempts: outcome.headers["x-ballast-attempts"].flatMap(Int.init),
            hedged: outcome.headers["x-ballast-hedged"] != nil,
            degraded: outcome.headers["x-ballast-degraded"] != nil)
        records.withLock { $0.append(record) }
    }

    var all: [DemoRecord] { records.withLock { $0 } }

    /// The requests that ended in the `seconds` before `now`.
    func window(seconds: Double, before now: Double) -> [DemoRecord] {
        records.withLock { $0.filter { $0.completed > now - seconds && $0.completed <= now } }
    }

    /// The `percentile` (0-100) of the latencies, in seconds; nil for no requests. Nearest
    /// rank, so the value is one a request actually had.
    static func percentile(_ percentile: Double, of latencies: [Double]) -> Double? {
        guard !latencies.isEmpty else { return nil }
        let sorted = latencies.sorted()
        let rank = Int((percentile / 100 * Double(sorted.count)).rounded(.up))
        return sorted[min(sorted.count - 1, max(0, rank - 1))]
    }
}
