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

    /// The instant `span` later (earlier for a negative span), rounded to the nanosecond and
    /// kept on the timeline (never before its origin, never past its end).
    public static func + (instant: MonotonicInstant, span: Duration) -> MonotonicInstant {
        let delta = span.roundedNanoseconds
        if delta >= 0 {
            let (sum, overflow) = instant.nanoseconds.addingReportingOverflow(UInt64(delta))
            return MonotonicInstant(nanoseconds: overflow ? .max : sum)
        }
        let back = delta.magnitude
        return MonotonicInstant(nanoseconds: instant.nanoseconds > back ? instant.nanoseconds - back : 0)
    }

    /// The instant `span` earlier (see `+`).
    public static func - (instant: MonotonicInstant, span: Duration) -> MonotonicInstant {
        instant + (.zero - span)
    }

    /// The signed span from `earlier` to `later`: negative when `earlier` is the later one.
    public static func - (later: MonotonicInstant, earlier: MonotonicInstant) -> Duration {
        later.nanoseconds >= earlier.nanoseconds
            ? .nanoseconds(Int64(clamping: later.nanoseconds - earlier.nanoseconds))
            : .zero - .nanoseconds(Int64(clamping: earlier.nanoseconds - later.nanoseconds))
    }
}

extension Duration {
    /// The span in whole nanoseconds, rounded to the nearest (saturating at `Int64`'s range).
    var roundedNanoseconds: Int64 {
        let (seconds, attoseconds) = components
        let nanoseconds = (attoseconds + (attoseconds >= 0 ? 500_000_000 : -500_000_000)) / 1_000_000_000
        let (scaled, overflow) = seconds.multipliedReportingOverflow(by: 1_000_000_000)
        guard !overflow else { return seconds < 0 ? .min : .max }
        let (sum, overflowed) = scaled.addingReportingOverflow(nanoseconds)
        return overflowed ? (seconds < 0 ? .min : .max) : sum
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
