import BallastCore
import Rules
import Synchronization

/// Recent upstream attempts per canary side, second by second, in memory: what rules read
/// through `error_ratio{canary="new"}` and the control API shows per side. Attempts, not
/// requests: Ballast's retries would hide a failing new side from request-level series.
package final class CanaryWindows: Sendable {
    /// At most this many canary sides are tracked (two per canary).
    static let maxSides = 128
    private let sides = Mutex<[CanaryTag: AttemptWindows]>([:])

    func record(_ tag: CanaryTag, attempts: [AttemptRecord]) {
        let windows = sides.withLock { all -> AttemptWindows? in
            if let existing = all[tag] { return existing }
            guard all.count < Self.maxSides else { return nil }
            let created = AttemptWindows(maxKeys: 256, skipsCountedEarly: false)
            all[tag] = created
            return created
        }
        for attempt in attempts { windows?.record(attempt) }
    }

    /// The attempts of the canary sides `selector` covers (one canary's, or that side of every
    /// canary) to `regions` and `models` (nil: any) that ended in `(wallTime - length, wallTime]` (wall-clock seconds, as the records carry).
    func window(
        _ selector: CanarySelector, regions: [String]?, models: [String]?, length: Double, failing: OutcomeClassSet,
        wallTime: Double
    ) -> WindowResult {
        let covered = sides.withLock { all in all.filter { selector.covers($0.key.selector) }.map(\.value) }
        var result = WindowResult()
        var streak = 0
        for windows in covered {
            let part = windows.window(regions: regions, models: models, length: length, failing: failing, wallTime: wallTime)
            streak = max(streak, part.consecutiveFailures)
            result.add(part)
        }
        result.consecutiveFailures = streak
        return result
    }
}
