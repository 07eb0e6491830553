import BallastConfig
import BallastCore
import Resilience
import Testing
@testable import Proxy

/// How `CallPolicy` shares the hedge budget between the two looks at a request without a
/// first byte (`CallMachine`: at the hedge delay, and at `secondLook` delays), and what a
/// gateway that has just started may spend.
@Suite struct HedgeLooksTests {
    static let start = MonotonicInstant(nanoseconds: 1_000_000_000)
    static let region = Region(name: "east", baseURL: "http://127.0.0.1:1", weight: 100)

    func policy() -> CallPolicy {
        CallPolicy(
            retry: RetryConfig(), hedge: HedgeConfig(), pacing: PacingConfig(), concurrency: ConcurrencyConfig(),
            regions: [Self.region], now: Self.start)
    }

    @Test func theFirstLookLeavesAShareOfTheBudgetToTheSecond() {
        let policy = policy()
        // 1,000 requests earn 45 hedges (4.5 %) and 5 from the straggler reserve.
        for index in 0..<1000 { policy.requestStarted(now: Self.start.adding(seconds: Double(index) * 0.01)) }
        let now = Self.start.adding(seconds: 10)
        var first = 0
        while policy.mayHedge(atDelay: true, now: now) { first += 1 }
        #expect(first == Int(45 * (1 - CallPolicy.hedgeSpareAtDelay)))
        var second = 0
        while policy.mayHedgeStraggler(now: now) { second += 1 }
        // The rest of the budget, then the reserve (five earned, one from its floor).
        #expect(first + second == 45 + 5 + 1)
    }

    @Test func aGatewayThatHasJustStartedStillHasAStragglerCopy() {
        let policy = policy()
        for _ in 0..<10 { policy.requestStarted(now: Self.start) }
        // Ten requests earn no whole hedge: the first look has none, the second has one
        // from the reserve's floor, and then none until it refills (one per 5 s).
        #expect(!policy.mayHedge(atDelay: true, now: Self.start))
        #expect(policy.mayHedgeStraggler(now: Self.start))
        #expect(!policy.mayHedgeStraggler(now: Self.start.adding(seconds: 1)))
        #expect(policy.mayHedgeStraggler(now: Self.start.adding(seconds: 6)))
    }

    @Test func aKeyWithoutSamplesOfItsOwnHedgesOnItsModelsSamplesInEveryRegion() {
        let policy = policy()
        let east = policy.key(region: Self.region, model: "claude-x")
        let west = policy.key(region: Region(name: "west", baseURL: "http://127.0.0.1:2", weight: 100), model: "claude-x")
        for index in 0..<20 {
            policy.recordFirstByte(key: west, seconds: 0.3, now: Self.start.adding(seconds: Double(index) * 0.1))
        }
        let delay = policy.hedgeDelay(key: east, model: "claude-x", now: Self.start.adding(seconds: 3)) ?? 0
        #expect(delay > 0.25 && delay < 0.35)
        #expect(policy.usualFirstByte(key: east, now: Self.start.adding(seconds: 3)) == delay)
        #expect(policy.hedgeDelay(key: policy.key(region: Self.region, model: "other"), model: "other", now: Self.start.adding(seconds: 3)) == nil)
    }
}
