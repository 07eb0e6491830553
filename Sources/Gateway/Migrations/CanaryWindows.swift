import BallastCore
import Rules
import Synchronization

/// Recent upstream attempts per canary side, second by second, in memory: what rules read
/// through `error_ratio{canary="new"}` and the control API shows per side. Attempts, not
/// requests: Ballast's retries would hide a failing new side from request-level series.
final class CanaryWindows: Sendable {
    /// At most this many canary sides are tracked (two per canary).
    static let maxSides = 128
    private let sides = Mutex<[CanaryTag: AttemptWindows]>([:])

    func record(_ tag: CanaryTag, attempts: [AttemptRecord]) {
        let windows = sides.withLock { all -> AttemptWindows? in
            if let existing = all[tag] { return existing }
            guard all.count < Self.maxSides else { return nil }
            let created = AttemptWindows(maxKeys: 256)
            all[tag] = created
            return created
        }
        for attempt in attempts { windows?.record(attempt) }
    }

    /// The attempts of `canary`'s `side` (nil: the canary's names are matched as given) for
    /// `models` that ended in `(now - length, now]`.
    func window(canary: String, side: CanaryTag.Side, models: [String]?, length: Double, failing: OutcomeClassSet,
                now: Double) -> WindowResult {
        guard let windows = sides.withLock({ $0[CanaryTag(canary: canary, side: side)] }) else { return WindowResult() }
        return windows.window(regions: nil, models: models, length: length, failing: failing, now: now)
    }

    /// The canaries seen so far.
    var canaries: [String] { Set(sides.withLock { Array($0.keys) }.map(\.canary)).sorted() }
}
