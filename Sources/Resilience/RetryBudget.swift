public import BallastCore
import Synchronization

/// Caps retries to a fraction of the traffic, so that when an upstream fails everything,
/// retries cannot multiply the load on it (gRPC retry throttling, Finagle's `RetryBudget`,
/// Envoy's retry budget of 20 %).
///
/// Two token buckets:
/// - **earned**: every original request deposits `ratio` tokens (default 0.2), up to
///   `capacity`; a retry spends one. Over time retries are at most `ratio` of requests.
/// - **floor**: refills at `minRetriesPerSecond` (default 3/s) and holds one second's worth,
///   so a quiet service can still retry its rare failures.
///
/// A retry takes from the earned bucket first, then from the floor. With every request
/// failing, retries stay below `ratio * requests + minRetriesPerSecond * (seconds + 1)`.
///
/// Call sequence: `recordRequest()` once per client request (not per attempt); before each
/// retry, `tryWithdraw(now:)`; false means answer with the failure at hand. One instance is
/// shared by all requests to the upstream it guards (thread-safe).
public final class RetryBudget: Sendable {
    public struct Counters: Sendable, Equatable {
        public var requests: Int = 0
        public var retriesAllowed: Int = 0
        public var retriesRefused: Int = 0
    }

    private struct State {
        var earned: Double = 0
        var floor: Double
        var floorUpdatedAt: MonotonicInstant
        var counters = Counters()
    }

    public let ratio: Double
    public let minRetriesPerSecond: Double
    public let capacity: Double
    /// One second's worth of floor, but at least one retry when the floor is not zero.
    private let floorCapacity: Double
    private let state: Mutex<State>

    /// - Parameters:
    ///   - ratio: tokens each request deposits (the share of requests that may be retried).
    ///   - minRetriesPerSecond: the floor's refill rate (its capacity is one second's worth,
    ///     at least one).
    ///   - capacity: the most earned tokens held, which bounds the burst of retries after a
    ///     long healthy period.
    ///   - now: when the floor starts full.
    public init(ratio: Double = 0.2, minRetriesPerSecond: Double = 3, capacity: Double = 100, now: MonotonicInstant) {
        self.ratio = max(0, ratio)
        self.minRetriesPerSecond = max(0, minRetriesPerSecond)
        self.capacity = max(0, capacity)
        floorCapacity = self.minRetriesPerSecond > 0 ? max(1, self.minRetriesPerSecond) : 0
        state = Mutex(State(floor: floorCapacity, floorUpdatedAt: now))
    }

    /// An original request was accepted: deposit `ratio` tokens.
    public func recordRequest() {
        state.withLock { s in
            s.counters.requests += 1
            s.earned = min(capacity, s.earned + ratio)
        }
    }

    /// Spends one token for a retry; false (and a refusal counted) when there is none.
    public func tryWithdraw(now: MonotonicInstant) -> Bool {
        state.withLock { s in
            let elapsed = now.seconds(since: s.floorUpdatedAt)
            s.floor = min(floorCapacity, s.floor + elapsed * minRetriesPerSecond)
            s.floorUpdatedAt = max(s.floorUpdatedAt, now)
            // The tolerance absorbs rounding: five deposits of 0.2 must make one token.
            if s.earned >= 1 - 1e-9 {
                s.earned = max(0, s.earned - 1)
            } else if s.floor >= 1 - 1e-9 {
                s.floor = max(0, s.floor - 1)
            } else {
                s.counters.retriesRefused += 1
                return false
            }
            s.counters.retriesAllowed += 1
            return true
        }
    }

    /// Requests, retries allowed and refused since start (for `/metrics`).
    public var counters: Counters { state.withLock { $0.counters } }

    /// Earned tokens available now (the floor not included).
    public var balance: Double { state.withLock { $0.earned } }
}
