public import BallastCore

/// The time of one evaluation step, on both clocks: the monotonic instant for every interval,
/// hold-down, open time and timeout (immune to wall-clock jumps), and wall-clock seconds since
/// the Unix epoch for the telemetry queries (records carry wall time) and the audit entries.
public struct RuleTime: Sendable, Equatable {
    public var monotonic: MonotonicInstant
    /// Seconds since the Unix epoch.
    public var wall: Double

    public init(monotonic: MonotonicInstant, wall: Double) {
        self.monotonic = monotonic
        self.wall = wall
    }

    /// Reads both clocks.
    public init(clock: some TimeSource) {
        self.init(monotonic: clock.now(), wall: clock.wallTime())
    }

    /// One number for both clocks, as rule tests (`ballast rules test`) run them: `seconds`
    /// after the first sample on each, the monotonic timeline's origin and the epoch standing
    /// for that sample. The one place a number of seconds becomes an instant in the engine.
    public init(seconds: Double) {
        self.init(monotonic: MonotonicInstant(nanoseconds: 0) + .seconds(max(0, seconds)), wall: seconds)
    }
}
