import BallastCore

/// Explicit instants for tests: `t(1.5)` is 1.5 s after an arbitrary origin of 1,000 s.
func t(_ seconds: Double) -> MonotonicInstant {
    MonotonicInstant(nanoseconds: 1_000_000_000_000).adding(seconds: seconds)
}
