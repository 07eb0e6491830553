public import BallastCore

/// The time of one evaluation step: monotonic seconds for every interval, hold-down and
/// timeout (immune to wall-clock jumps), and wall-clock seconds for telemetry queries and
/// audit entries.
public struct RuleTime: Sendable, Equatable {
    /// Seconds on the monotonic clock.
    public var monotonic: Double
    /// Seconds since the Unix epoch.
    public var wall: Double

    public init(monotonic: Double, wall: Double) {
        self.monotonic = monotonic
        self.wall = wall
    }

    public init(monotonic: MonotonicInstant, wall: Double) {
        self.init(monotonic: Double(monotonic.nanoseconds) / 1e9, wall: wall)
    }

    /// Reads both clocks.
    public init(clock: some TimeSource) {
        self.init(monotonic: clock.now(), wall: clock.wallTime())
    }

    /// One number for both clocks, as rule tests use (time 0 is the first sample).
    public init(seconds: Double) {
        self.init(monotonic: seconds, wall: seconds)
    }
}
