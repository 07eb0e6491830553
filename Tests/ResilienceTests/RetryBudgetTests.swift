import BallastCore
import BallastTesting
import Resilience
import Testing

@Suite struct RetryBudgetTests {
    @Test func floorAllowsAFewRetriesPerSecond() {
        let clock = ManualClock()
        let budget = RetryBudget(now: clock.now())
        #expect((0..<3).allSatisfy { _ in budget.tryWithdraw(now: clock.now()) })
        #expect(!budget.tryWithdraw(now: clock.now()))
        clock.advance(seconds: 1.0 / 3.0 + 0.001)
        #expect(budget.tryWithdraw(now: clock.now()))
        #expect(!budget.tryWithdraw(now: clock.now()))
        clock.advance(seconds: 10)
        // The floor holds one second's worth, not ten.
        #expect((0..<3).allSatisfy { _ in budget.tryWithdraw(now: clock.now()) })
        #expect(!budget.tryWithdraw(now: clock.now()))
        #expect(budget.counters.retriesRefused == 3)
    }

    @Test func requestsEarnTwentyPercent() {
        let now = t(0)
        let budget = RetryBudget(minRetriesPerSecond: 0, now: now)
        for _ in 0..<100 { budget.recordRequest() }
        #expect(abs(budget.balance - 20) < 1e-9)
        var allowed = 0
        while budget.tryWithdraw(now: now) { allowed += 1 }
        #expect(allowed == 20)
        let counters = budget.counters
        #expect(counters.requests == 100)
        #expect(counters.retriesAllowed == 20)
        #expect(counters.retriesRefused == 1)
    }

    @Test func earnedTokensAreCapped() {
        let budget = RetryBudget(capacity: 10, now: t(0))
        for _ in 0..<10_000 { budget.recordRequest() }
        #expect(budget.balance == 10)
    }

    /// Every attempt fails; each request tries up to 3 retries. Retries stay within the ratio
    /// plus the floor, and the budget still lets that much through.
    @Test func allFailuresKeepRetriesWithinTheBudget() {
        let clock = ManualClock()
        let budget = RetryBudget(now: clock.now())
        var requests = 0
        var retries = 0
        let seconds = 60
        for _ in 0..<(seconds * 100) {
            clock.advance(seconds: 0.01)
            budget.recordRequest()
            requests += 1
            for _ in 0..<3 {
                guard budget.tryWithdraw(now: clock.now()) else { break }
                retries += 1
            }
        }
        let bound = 0.2 * Double(requests) + 3 * Double(seconds + 1)
        #expect(Double(retries) <= bound)
        #expect(Double(retries) >= 0.2 * Double(requests))
        #expect(budget.counters.retriesAllowed == retries)
        #expect(budget.counters.retriesRefused > 0)
    }
}
