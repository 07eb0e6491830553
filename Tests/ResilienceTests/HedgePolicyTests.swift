import BallastCore
import Resilience
import Testing

@Suite struct HedgePolicyTests {
    @Test func noDelayUntilEnoughSamples() {
        let policy = HedgePolicy()
        for index in 0..<19 { policy.recordFirstByte("us/opus", seconds: 1, now: t(Double(index))) }
        #expect(policy.hedgeDelay("us/opus", now: t(20)) == nil)
        policy.recordFirstByte("us/opus", seconds: 1, now: t(20))
        #expect(policy.hedgeDelay("us/opus", now: t(20)) != nil)
        #expect(policy.hedgeDelay("eu/opus", now: t(20)) == nil)
    }

    @Test func delayIsTheP95WithinABucket() {
        let policy = HedgePolicy()
        // 1,000 samples spread evenly over 0.1...2.0 s: the true p95 is 1.905 s.
        for index in 0..<1000 {
            policy.recordFirstByte("k", seconds: 0.1 + 1.9 * Double(index) / 999, now: t(Double(index) * 0.01))
        }
        let delay = policy.hedgeDelay("k", now: t(10)) ?? 0
        #expect(abs(delay - 1.905) / 1.905 < 0.1)
    }

    @Test func samplesLeaveTheWindow() {
        let policy = HedgePolicy()
        for _ in 0..<50 { policy.recordFirstByte("k", seconds: 5, now: t(0)) }
        for _ in 0..<50 { policy.recordFirstByte("k", seconds: 0.2, now: t(35)) }
        let mixed = policy.hedgeDelay("k", now: t(40)) ?? 0
        #expect(mixed > 4)
        // The 5 s samples are older than 60 s now; only the 0.2 s ones are left.
        let recent = policy.hedgeDelay("k", now: t(65)) ?? 0
        #expect(recent > 0.15 && recent < 0.25)
        #expect(policy.hedgeDelay("k", now: t(100)) == nil)
    }

    @Test func budgetAllowsFivePercentOfTheWindow() {
        let policy = HedgePolicy()
        for index in 0..<100 { policy.recordRequest(now: t(Double(index) * 0.1)) }
        var sent = 0
        while policy.tryHedge(now: t(10)) { sent += 1 }
        #expect(sent == 5)
        // A minute later the requests that earned those hedges have left the window.
        #expect(!policy.tryHedge(now: t(75)))
        for index in 0..<20 { policy.recordRequest(now: t(75 + Double(index) * 0.1)) }
        #expect(policy.tryHedge(now: t(78)))
        #expect(!policy.tryHedge(now: t(78)))
        policy.recordWon()
        policy.recordCancelled()
        let counters = policy.counters
        #expect(counters.requests == 120)
        #expect(counters.sent == 6)
        #expect(counters.refused == 3)
        #expect(counters.won == 1)
        #expect(counters.cancelled == 1)
    }

    @Test func aShareOfTheBudgetStaysSpareForTheSecondLook() {
        let policy = HedgePolicy()
        for index in 0..<100 { policy.recordRequest(now: t(Double(index) * 0.1)) }
        // 5 hedges in all; at the hedge delay only half of them (2 whole ones) may go.
        var early = 0
        while policy.tryHedge(now: t(10), spare: 0.5) { early += 1 }
        #expect(early == 2)
        var late = 0
        while policy.tryHedge(now: t(10)) { late += 1 }
        #expect(late == 3)
        #expect(policy.counters.sent == 5)
    }

    @Test func aKeyWithTooFewSamplesUsesItsPool() {
        let policy = HedgePolicy()
        // Two regions of one model, 12 answers each: neither has 20 of its own.
        for index in 0..<12 {
            policy.recordFirstByte("us|opus", pool: "*|opus", seconds: 0.3, now: t(Double(index) * 0.1))
            policy.recordFirstByte("eu|opus", pool: "*|opus", seconds: 0.3, now: t(Double(index) * 0.1))
        }
        #expect(policy.hedgeDelay("us|opus", now: t(2)) == nil)
        let pooled = policy.hedgeDelay("us|opus", pool: "*|opus", now: t(2)) ?? 0
        #expect(pooled > 0.25 && pooled < 0.35)
        // Another model's pool has nothing yet.
        #expect(policy.hedgeDelay("us|haiku", pool: "*|haiku", now: t(2)) == nil)
        // With enough of its own, a key's delay is its own.
        for index in 0..<20 { policy.recordFirstByte("us|opus", pool: "*|opus", seconds: 1.0, now: t(3 + Double(index) * 0.1)) }
        let own = policy.hedgeDelay("us|opus", pool: "*|opus", now: t(6)) ?? 0
        #expect(own > 0.9)
    }
}
