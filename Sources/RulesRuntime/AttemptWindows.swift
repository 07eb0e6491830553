package import BallastCore
package import Rules
import Synchronization

/// Recent upstream attempts per region and model, second by second, in memory.
///
/// A region's health is what happened to the attempts sent to it: a request that failed on
/// the primary and was served by the secondary is a failure of the primary, although the
/// client saw a success. Request rows (by final region) cannot show that, so region-scoped
/// rule series, and every `level="attempt"` series, read these attempt counts instead.
///
/// The proxy counts each attempt here when it ends (and a stuck one when its first byte falls
/// overdue), not when its request ends: a failed probe whose retry then queued 2-3 s at a
/// saturated standby kept its circuit half-open that long (the capacity simulation's
/// region-down scenario).
///
/// Runs of consecutive failures are counted in the order the attempts were *sent*, not the
/// order they ended or arrived here: the newest attempts say what the region does now. In the
/// order of their ends, the answers of attempts sent before an outage (a region answering in
/// 1.8 s) kept breaking the run of the refusals after it for 2 s, and a stall that had been
/// over for 9 s opened its region when its stuck attempts fell overdue (capacity simulation,
/// seed 120); in the order of sending, the later attempts' answers come after both.
package final class AttemptWindows: Sendable {
    static let seconds = Int(SeriesLevel.attemptRetention)
    private static let recentOutcomes = 64

    private struct Series {
        var stamps = Array(repeating: Int.min, count: AttemptWindows.seconds)
        var slots = Array(repeating: WindowResult(), count: AttemptWindows.seconds)
        /// The last outcomes in the order their attempts were sent, newest last, with when each
        /// ended, for consecutive-failure streaks.
        var recent: [(sent: Double, end: Double, outcome: OutcomeClass)] = []
    }

    private struct Key: Hashable {
        let region: String
        let model: String?
    }

    private let series = Mutex<[Key: Series]>([:])
    private let maxKeys: Int
    /// False for windows fed only at request end (a canary side's), which no attempt reaches
    /// early: there `AttemptRecord.countedEarly` speaks of the rules' region windows, not of them.
    private let skipsCountedEarly: Bool

    package init(maxKeys: Int = 1024, skipsCountedEarly: Bool = true) {
        self.maxKeys = maxKeys
        self.skipsCountedEarly = skipsCountedEarly
    }

    /// Counts one finished attempt; cancelled ones (a hedge that lost, a client that left)
    /// say nothing about the region and are skipped, and so are attempts counted already
    /// (`AttemptRecord.countedEarly`: when they ended, or when their first byte fell overdue).
    package func record(_ attempt: AttemptRecord) {
        guard !attempt.cancelled, !(skipsCountedEarly && attempt.countedEarly) else { return }
        let end = attempt.time + attempt.latency
        let second = Int(end.rounded(.down))
        let slot = ((second % Self.seconds) + Self.seconds) % Self.seconds
        let key = Key(region: attempt.region, model: attempt.model)
        series.withLock { all in
            if all[key] == nil, all.count >= maxKeys { return }
            // Taken out of the dictionary while it changes: a copy left in it would make the
            // change copy all of its 300 seconds of counts, at every attempt.
            var entry = all.removeValue(forKey: key) ?? Series()
            if entry.stamps[slot] != second {
                entry.stamps[slot] = second
                entry.slots[slot] = WindowResult()
            }
            entry.slots[slot].record(
                attempt.outcome, status: attempt.status, latency: attempt.latency,
                timeToFirstByte: attempt.timeToFirstByte)
            // Often the newest; one sent earlier (a slow answer, a stall that fell overdue) goes
            // back to where it was sent. Attempts sent at the same instant go in the order they
            // ended, then of arrival.
            var index = entry.recent.endIndex
            while index > entry.recent.startIndex,
                entry.recent[index - 1].sent > attempt.time || (entry.recent[index - 1].sent == attempt.time && entry.recent[index - 1].end > end)
            {
                index -= 1
            }
            entry.recent.insert((attempt.time, end, attempt.outcome), at: index)
            if entry.recent.count > Self.recentOutcomes { entry.recent.removeFirst(entry.recent.count - Self.recentOutcomes) }
            all[key] = entry
        }
    }

    /// The attempts to `regions` and `models` (nil = any) that ended in
    /// `(wallTime - length, wallTime]`: wall-clock seconds since the Unix epoch, the time an
    /// `AttemptRecord` carries (`length` in seconds).
    package func window(
        regions: [String]?, models: [String]?, length: Double, failing: OutcomeClassSet, wallTime: Double
    ) -> WindowResult {
        // Whole seconds, the partial first one included: a short window (a circuit's probes
        // "since" a moment) must still see attempts in the second that moment falls in.
        let last = Int(wallTime.rounded(.down))
        let first = Int((wallTime - length).rounded(.down))
        var result = WindowResult()
        var streak = 0
        series.withLock { all in
            for (key, entry) in all where regions?.contains(key.region) ?? true {
                if let models {
                    guard let model = key.model, models.contains(model) else { continue }
                }
                for slot in 0..<Self.seconds where entry.stamps[slot] >= first && entry.stamps[slot] <= last {
                    result.add(entry.slots[slot])
                }
                // The run, too, is the window's (by when its attempts ended): failures older than
                // it say nothing of the region now (a region whose last three attempts failed a
                // minute ago and that has had none since would otherwise trip `region-down` at
                // its next evaluation).
                var run = 0
                for (_, end, outcome) in entry.recent.reversed() where end >= Double(first) && end < Double(last + 1) {
                    guard failing.contains(OutcomeClassSet([outcome])) else { break }
                    run += 1
                }
                streak = max(streak, run)
            }
        }
        result.consecutiveFailures = streak
        return result
    }
}
