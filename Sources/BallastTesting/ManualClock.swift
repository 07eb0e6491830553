public import BallastCore
import Synchronization

/// A clock that moves only when told: tests step schedules, buckets and windows to exact
/// times instead of sleeping.
public final class ManualClock: TimeSource {
    private struct Time {
        var monotonic: UInt64
        var wall: Double
    }

    private let time: Mutex<Time>

    /// - Parameters:
    ///   - start: the first monotonic reading (an arbitrary origin).
    ///   - wallTime: the first wall-clock reading, seconds since the Unix epoch.
    public init(start: MonotonicInstant = MonotonicInstant(nanoseconds: 1_000_000_000), wallTime: Double = 1_700_000_000) {
        time = Mutex(Time(monotonic: start.nanoseconds, wall: wallTime))
    }

    public func now() -> MonotonicInstant {
        MonotonicInstant(nanoseconds: time.withLock { $0.monotonic })
    }

    public func wallTime() -> Double {
        time.withLock { $0.wall }
    }

    /// Moves both clocks forward by `seconds` (negative values are ignored).
    public func advance(seconds: Double) {
        guard seconds > 0 else { return }
        time.withLock { t in
            t.monotonic &+= UInt64(seconds * 1e9)
            t.wall += seconds
        }
    }
}
