import BallastConfig
import BallastCore
@testable import Gateway
import Resilience
import Testing
@testable import Proxy

/// The adaptive concurrency limit may not bind below what the rate allowance pays for
/// (Little's law): LLM answers take seconds, and the limit alone put Ballast below a plain
/// client on 209 of 300 random seeds of the capacity simulation.
@Suite struct ConcurrencyFloorTests {
    static let start = MonotonicInstant(nanoseconds: 1_000_000_000)
    static let region = Region(name: "primary", baseURL: "http://127.0.0.1:1", weight: 100)

    func policy() -> CallPolicy {
        CallPolicy(
            retry: RetryConfig(), hedge: HedgeConfig(), pacing: PacingConfig(),
            concurrency: ConcurrencyConfig(initial: 4, min: 4, max: 8), regions: [Self.region], now: Self.start)
    }

    /// Permits granted in a row, holding them all.
    func granted(_ policy: CallPolicy, upTo count: Int) -> Int {
        var held: [ConcurrencyLimit.Permit] = []
        for _ in 0..<count {
            guard case .granted(let permit) = policy.acquire(region: Self.region, now: Self.start) else { break }
            held.append(permit)
        }
        defer { for permit in held { permit.ignore() } }
        return held.count
    }

    /// The region answers once: from then on the adaptive limit binds (before, only its maximum).
    func answerOnce(_ policy: CallPolicy) {
        guard case .granted(let permit) = policy.acquire(region: Self.region, now: Self.start) else { return }
        permit.success(rtt: 2)
    }

    @Test func anAnnouncedAllowanceAndSecondsLongAttemptsRaiseTheFloorAboveTheLimit() {
        let policy = policy()
        #expect(granted(policy, upTo: 100) == 8, "before the first answer, the maximum")
        answerOnce(policy)
        #expect(granted(policy, upTo: 100) == 4)
        var headers = HTTPHeaders()
        headers.add("anthropic-ratelimit-requests-limit", "600")  // 10 a second
        headers.add("anthropic-ratelimit-requests-remaining", "500")
        headers.add("anthropic-ratelimit-requests-reset", RFC3339Timestamp.format(epochSeconds: 1_795_710_010))
        policy.answered(
            paceKey: policy.paceKey(region: Self.region, model: "m"), region: Self.region, headers: headers,
            failure: nil, sentAt: Self.start, cost: .zero, wallTime: 1_795_710_000, now: Self.start)
        policy.attemptEnded(region: Self.region, seconds: 2, now: Self.start)
        // 10 a second x 2 s x 1.5 = 30 in flight, above the adaptive limit and its maximum.
        #expect(granted(policy, upTo: 100) == 30)
        #expect(policy.hasConcurrencyRoom(region: Self.region))
    }

    @Test func withoutAKnownAllowanceTheLimitAloneDecides() {
        let policy = policy()
        answerOnce(policy)
        policy.attemptEnded(region: Self.region, seconds: 2, now: Self.start)
        #expect(granted(policy, upTo: 100) == 4)
    }
}
