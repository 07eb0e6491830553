public import BallastCore

/// The phases of a graceful stop, as a value: the caller says when a signal came or what
/// time it is, and gets back what to do. Nothing here sleeps or reads a clock, so tests step
/// through a whole shutdown in virtual time; `ballast serve` drives it with the real clock and
/// its signal inbox.
///
/// Why three phases. Kubernetes sends SIGTERM and removes the pod from its Service's
/// endpoints at the same time, asynchronously: kube-proxies and load balancers keep routing
/// to it for a moment. A listener closed at SIGTERM refuses those requests. So readiness
/// goes 503 at once (`announced`), the listener keeps accepting for `delay`, and only then
/// closes (`draining`), with in-flight requests and streams given `grace` to finish.
///
/// SIGINT is a person at a terminal who wants it to stop now: it skips the delay. So does a
/// second SIGTERM during the delay (an operator who already took the instance out by hand).
public struct ShutdownSequence: Sendable, Equatable {
    public enum Signal: Sendable, Equatable {
        /// SIGTERM: the platform's stop.
        case terminate
        /// SIGINT: Ctrl-C.
        case interrupt
    }

    public enum Phase: Sendable, Equatable {
        case serving
        /// Readiness says 503; the listener still accepts until `closeAt`.
        case announced(closeAt: MonotonicInstant)
        /// The listener is closed; requests in flight have until `deadline`.
        case draining(deadline: MonotonicInstant)
    }

    /// What the driver does next.
    public enum Step: Sendable, Equatable {
        /// Nothing until `until`, unless another signal comes first.
        case wait(until: MonotonicInstant)
        /// Close the listener now and let requests in flight finish for up to `grace` seconds.
        case closeListener(grace: Double)
        /// Nothing more to do (the listener is already closing).
        case none
    }

    public let delay: Double
    public let grace: Double
    public private(set) var phase: Phase = .serving

    public init(delay: Double, grace: Double) {
        self.delay = max(0, delay)
        self.grace = max(0, grace)
    }

    /// False from the first signal on: `/readyz` answers 503.
    public var isReady: Bool { phase == .serving }

    /// A stop signal arrived at `now`.
    public mutating func receive(_ signal: Signal, at now: MonotonicInstant) -> Step {
        switch phase {
        case .serving:
            if signal == .interrupt || delay == 0 { return close(at: now) }
            let closeAt = now.adding(seconds: delay)
            phase = .announced(closeAt: closeAt)
            return .wait(until: closeAt)
        case .announced:
            return close(at: now)
        case .draining:
            return .none
        }
    }

    /// Time passed without a signal: what to do at `now`.
    public mutating func tick(at now: MonotonicInstant) -> Step {
        guard case .announced(let closeAt) = phase else { return .none }
        return now >= closeAt ? close(at: now) : .wait(until: closeAt)
    }

    private mutating func close(at now: MonotonicInstant) -> Step {
        phase = .draining(deadline: now.adding(seconds: grace))
        return .closeListener(grace: grace)
    }
}
