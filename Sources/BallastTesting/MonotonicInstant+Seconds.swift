public import BallastCore

extension MonotonicInstant {
    /// The instant `seconds` after the monotonic timeline's origin, for tests that step a
    /// policy through explicit times. Production code has no such conversion: its instants
    /// come from a `TimeSource` and move by `Duration`s.
    public init(seconds: Double) {
        self = MonotonicInstant(nanoseconds: 0) + .seconds(seconds)
    }
}
