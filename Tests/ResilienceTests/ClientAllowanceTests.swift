import BallastCore
import Resilience
import Testing

/// A client key's buckets and budget in virtual time: `t(s)` instants, wall times in seconds.
@Suite struct ClientAllowanceTests {
    /// 2026-12-07T00:00:00Z, so a day boundary is easy to place.
    static let midnight = 1_796_601_600.0

    @Test func requestsRefillAtThePerMinuteFigureAndTheRefusalSaysWhen() {
        var allowance = ClientAllowance(limits: ClientLimits(requestsPerMinute: 60), now: t(0), wallTime: Self.midnight)
        for _ in 0..<60 { #expect(allowance.admit(.zero, now: t(0), wallTime: Self.midnight) == .admit(.zero)) }
        // The minute's worth is spent: the next request is one second of refill away.
        guard case .rateLimited(.requests, let wait) = allowance.admit(.zero, now: t(0), wallTime: Self.midnight) else {
            Issue.record("expected a refusal")
            return
        }
        #expect(abs(wait - 1) < 1e-9)
        #expect(allowance.admit(.zero, now: t(0.5), wallTime: Self.midnight) != .admit(.zero))
        #expect(allowance.admit(.zero, now: t(1), wallTime: Self.midnight) == .admit(.zero))
        let reading = allowance.readings(now: t(1)).first
        #expect(reading?.limit == 60)
        #expect(reading?.remaining == 0)
        #expect(abs((reading?.secondsToFull ?? 0) - 60) < 1e-6)
    }

    @Test func outputIsChargedFromMaxTokensAndRefundedToTheRealUsage() {
        var allowance = ClientAllowance(limits: ClientLimits(outputTokensPerMinute: 1000), now: t(0), wallTime: Self.midnight)
        let asked = RequestCost(inputTokens: 10, outputTokens: 800)
        #expect(allowance.admit(asked, now: t(0), wallTime: Self.midnight) == .admit(asked))
        // 200 left: a second request for 800 waits for 600 tokens at 1000/60 per second.
        guard case .rateLimited(.outputTokens, let wait) = allowance.admit(asked, now: t(0), wallTime: Self.midnight) else {
            Issue.record("expected an output-token refusal")
            return
        }
        #expect(abs(wait - 36) < 1e-6)
        // The first answer used 100 of its 800: 700 come back, and the second one fits now.
        allowance.settle(charged: asked, used: RequestCost(inputTokens: 10, outputTokens: 100), now: t(0), wallTime: Self.midnight)
        #expect(allowance.admit(asked, now: t(0), wallTime: Self.midnight) == .admit(asked))
    }

    @Test func theLongestWaitOfAllDimensionsIsTheOneReported() {
        var allowance = ClientAllowance(
            limits: ClientLimits(requestsPerMinute: 600, inputTokensPerMinute: 600),
            now: t(0), wallTime: Self.midnight)
        #expect(allowance.admit(RequestCost(inputTokens: 600), now: t(0), wallTime: Self.midnight) == .admit(RequestCost(inputTokens: 600)))
        let decision = allowance.admit(RequestCost(inputTokens: 300), now: t(0), wallTime: Self.midnight)
        #expect(decision == .rateLimited(.inputTokens, retryAfter: 30))
    }

    @Test func theDailyBudgetRefusesUntilUTCMidnightAndKeepsTheRealUsage() {
        var allowance = ClientAllowance(limits: ClientLimits(tokensPerDay: 1000), now: t(0), wallTime: Self.midnight + 3600)
        let big = RequestCost(inputTokens: 100, outputTokens: 900)
        #expect(allowance.admit(big, now: t(0), wallTime: Self.midnight + 3600) == .admit(big))
        #expect(allowance.admit(big, now: t(1), wallTime: Self.midnight + 3601) == .overBudget(resetsAt: Self.midnight + 86400))
        // It used 300 of the 1000 it reserved: 700 are left for today.
        allowance.settle(charged: big, used: RequestCost(inputTokens: 100, outputTokens: 200), now: t(2), wallTime: Self.midnight + 3602)
        #expect(allowance.budgetLeft(wallTime: Self.midnight + 3602)?.remaining == 700)
        #expect(allowance.admit(big, now: t(3), wallTime: Self.midnight + 3603) == .admit(big))
        #expect(allowance.admit(big, now: t(4), wallTime: Self.midnight + 86399) == .overBudget(resetsAt: Self.midnight + 86400))
        // A new UTC day starts with the whole budget.
        #expect(allowance.admit(big, now: t(5), wallTime: Self.midnight + 86400) == .admit(big))
        #expect(allowance.spentToday == 1000)
    }

    @Test func aReshapeKeepsTheLevelCappedByTheNewSize() {
        var allowance = ClientAllowance(limits: ClientLimits(requestsPerMinute: 120), now: t(0), wallTime: Self.midnight)
        for _ in 0..<100 { _ = allowance.admit(.zero, now: t(0), wallTime: Self.midnight) }
        allowance.reshape(ClientLimits(requestsPerMinute: 10), now: t(0))
        #expect(allowance.readings(now: t(0)).first?.remaining == 10)
        for _ in 0..<10 { #expect(allowance.admit(.zero, now: t(0), wallTime: Self.midnight) == .admit(.zero)) }
        #expect(allowance.admit(.zero, now: t(0), wallTime: Self.midnight) == .rateLimited(.requests, retryAfter: 6))
        allowance.reshape(ClientLimits(), now: t(0))
        #expect(allowance.admit(.zero, now: t(0), wallTime: Self.midnight) == .admit(.zero))
    }

    @Test func resetTimesAreRFC3339() {
        #expect(RFC3339Timestamp.format(epochSeconds: Self.midnight) == "2026-12-07T00:00:00Z")
        #expect(RFC3339Timestamp.format(epochSeconds: Self.midnight + 86399.2) == "2026-12-08T00:00:00Z")
        #expect(RFC3339Timestamp.parse(RFC3339Timestamp.format(epochSeconds: Self.midnight + 61)) == Self.midnight + 61)
    }
}
