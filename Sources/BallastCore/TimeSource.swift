/// A point on a monotonic timeline, in nanoseconds since an arbitrary origin.
///
/// Policies take time as a value so tests can drive them with a manual clock
/// (see `BallastTesting.ManualClock`); only the thin loops that run them read a real clock.
public struct MonotonicInstant: Comparable, Hashable, Sendable {
    public var nanoseconds: UInt64

    public init(nanoseconds: UInt64) { self.nanoseconds = nanoseconds }

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.nanoseconds < rhs.nanoseconds }

    /// Seconds from `earlier` to `self`; zero when `earlier` is later.
    public func seconds(since earlier: MonotonicInstant) -> Double {
        nanoseconds >= earlier.nanoseconds ? Double(nanoseconds - earlier.nanoseconds) / 1e9 : 0
    }

    public func adding(seconds: Double) -> MonotonicInstant {
        let delta = seconds <= 0 ? 0 : UInt64(min(seconds, 1e9) * 1e9)
        return MonotonicInstant(nanoseconds: nanoseconds &+ delta)
    }
}

/// The time seam: a monotonic source for intervals and deadlines, and the wall clock for
/// timestamps. Policies take the instant as a value; only the thin loops that run them ask a
/// `TimeSource` (`SystemClock` in production, `ManualClock` in tests and simulations). Not
/// `Swift.Clock`, which this name once shadowed: that protocol sleeps, and nothing here may.
public protocol TimeSource: Sendable {
    /// Monotonic time, for measuring intervals and deadlines.
    func now() -> MonotonicInstant
    /// Wall-clock time as seconds since the Unix epoch, for records and headers.
    func wallTime() -> Double
}
