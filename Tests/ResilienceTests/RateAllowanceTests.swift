import BallastCore
import BallastTesting
import Resilience
import Testing

@Suite struct RateAllowanceTests {
    /// 2026-11-26T16:20:00Z, the wall time the header tests run at.
    let wall = 1_795_710_000.0

    func headers(_ fields: [(String, String)]) -> HTTPHeaders { HTTPHeaders(fields) }

    @Test func unlimitedUntilTheFirstSignal() {
        var allowance = RateAllowance(now: t(0))
        #expect((0..<1000).allSatisfy { _ in allowance.decide(now: t(0)) == .go })
        #expect(allowance.rate == nil)
        #expect(allowance.effectiveRate(now: t(0)) == nil)
    }

    @Test func configuredRatePacesWithABurstOfOneSecond() {
        let clock = ManualClock()
        var allowance = RateAllowance(settings: .init(initialRate: 10), now: clock.now())
        #expect((0..<10).allSatisfy { _ in allowance.decide(now: clock.now()) == .go })
        #expect(allowance.decide(now: clock.now()) == .wait(seconds: 0.1))
        clock.advance(seconds: 0.1)
        #expect(allowance.decide(now: clock.now()) == .go)
        #expect(allowance.decide(now: clock.now()) == .wait(seconds: 0.1))
    }

    @Test func rateLimitCutsByHalfOncePerCooldown() {
        var allowance = RateAllowance(settings: .init(initialRate: 10), now: t(0))
        let first = allowance.recordRateLimited(now: t(0))
        #expect(first)
        #expect(allowance.rate == 5)
        let withinCooldown = allowance.recordRateLimited(now: t(0.5))
        #expect(!withinCooldown)
        #expect(allowance.rate == 5)
        let afterCooldown = allowance.recordRateLimited(now: t(1))
        #expect(afterCooldown)
        #expect(allowance.rate == 2.5)
        for second in 2..<20 { allowance.recordRateLimited(now: t(Double(second))) }
        #expect(allowance.rate == 0.1)
    }

    @Test func firstRateLimitCutsFromTheMeasuredRate() {
        var allowance = RateAllowance(now: t(0))
        for index in 0..<40 { #expect(allowance.decide(now: t(Double(index) * 0.025)) == .go) }
        #expect(allowance.measuredRate(now: t(1)) == 40)
        allowance.recordRateLimited(now: t(1))
        #expect(allowance.rate == 20)
        #expect(allowance.decide(now: t(1)) == .wait(seconds: 0.05))
    }

    @Test func successRecoversAdditively() {
        var allowance = RateAllowance(settings: .init(initialRate: 10), now: t(0))
        allowance.recordRateLimited(now: t(0))
        allowance.recordSuccess(now: t(1))
        #expect(allowance.rate == 6)
        allowance.recordSuccess(now: t(3))
        #expect(allowance.rate == 8)
    }

    @Test func recoveryIsFivePercentOfTheAnnouncedLimitAndStopsThere() {
        var allowance = RateAllowance(now: t(0))
        allowance.observe(headers: headers([("anthropic-ratelimit-requests-limit", "600"),
                                            ("anthropic-ratelimit-requests-remaining", "500"),
                                            ("anthropic-ratelimit-requests-reset", "2026-11-26T16:20:10Z")]),
                          wallTime: wall, now: t(0))
        #expect(allowance.announcedLimit == 10)
        // Paced at the announced limit from the first answer, before any 429.
        #expect(allowance.rate == 10)
        #expect(allowance.effectiveRate(now: t(0)) == 10)
        allowance.recordRateLimited(now: t(0))
        #expect(allowance.rate == 5)
        allowance.recordSuccess(now: t(4))
        #expect(allowance.rate == 7)
        allowance.recordSuccess(now: t(100))
        #expect(allowance.rate == 10)
    }

    /// The limit is per minute whatever the reset says: a reset rounded to whole seconds (or a
    /// bucket smaller than the limit) must not inflate the rate (the benchmark once learned
    /// 2,400 req/s against a 40 req/s upstream that way).
    @Test func theAnnouncedLimitIsPerMinuteWhateverTheResetSays() {
        var allowance = RateAllowance(now: t(0))
        allowance.observe(headers: headers([("anthropic-ratelimit-requests-limit", "2400"),
                                            ("anthropic-ratelimit-requests-remaining", "0"),
                                            ("anthropic-ratelimit-requests-reset", "2026-11-26T16:20:01Z")]),
                          wallTime: wall, now: t(0))
        #expect(allowance.announcedLimit == 40)
        #expect(allowance.rate == 40)
        allowance.recordRateLimited(now: t(0))
        #expect(allowance.rate == 20)
    }

    @Test func retryAfterHoldsTheKey() {
        var allowance = RateAllowance(settings: .init(initialRate: 100), now: t(0))
        allowance.recordRateLimited(retryAfter: 2, now: t(0))
        #expect(allowance.rate == 50)
        guard case .wait(let first) = allowance.decide(now: t(0)) else { Issue.record("expected a wait"); return }
        #expect(abs(first - 2.02) < 1e-9)
        guard case .wait(let second) = allowance.decide(now: t(1)) else { Issue.record("expected a wait"); return }
        #expect(abs(second - 1.02) < 1e-9)
        #expect(allowance.decide(now: t(2.03)) == .go)
    }

    @Test func lowRemainingRequestsArePacedAtTheLimit() {
        var allowance = RateAllowance(now: t(0))
        allowance.observe(headers: headers([("anthropic-ratelimit-requests-limit", "100"),
                                            ("anthropic-ratelimit-requests-remaining", "2"),
                                            ("anthropic-ratelimit-requests-reset", "2026-11-26T16:20:50Z")]),
                          wallTime: wall, now: t(0))
        // 100 per minute: one request every 0.6 s, whatever is left in the bucket.
        let ceiling = 100.0 / 60
        #expect(abs((allowance.effectiveRate(now: t(0)) ?? 0) - ceiling) < 1e-9)
        #expect(allowance.decide(now: t(0)) == .go)
        guard case .wait(let wait) = allowance.decide(now: t(0)) else { Issue.record("expected a wait"); return }
        #expect(abs(wait - 0.6) < 1e-9)
        #expect(abs((allowance.effectiveRate(now: t(50)) ?? 0) - ceiling) < 1e-9)
    }

    @Test func lowRemainingTokensBrakeTheRequestRate() {
        var allowance = RateAllowance(now: t(0))
        for index in 0..<10 { _ = allowance.decide(now: t(Double(index) * 0.1)) }
        allowance.observe(headers: headers([("anthropic-ratelimit-tokens-limit", "10000"),
                                            ("anthropic-ratelimit-tokens-remaining", "500"),
                                            ("anthropic-ratelimit-tokens-reset", "2026-11-26T16:20:30Z")]),
                          wallTime: wall, now: t(1))
        // 5 % left where pacing starts at 10 %: half the 10 rps measured.
        #expect(allowance.effectiveRate(now: t(1)) == 5)
        #expect(allowance.effectiveRate(now: t(31)) == nil)
    }

    @Test func theLowerOfTheAllowanceAndThePaceApplies() {
        var allowance = RateAllowance(settings: .init(initialRate: 1), now: t(0))
        allowance.observe(headers: headers([("anthropic-ratelimit-requests-limit", "6000"),
                                            ("anthropic-ratelimit-requests-remaining", "10"),
                                            ("anthropic-ratelimit-requests-reset", "2026-11-26T16:21:00Z")]),
                          wallTime: wall, now: t(0))
        #expect(allowance.effectiveRate(now: t(0)) == 1)
    }

    @Test func responsesWithoutHeadersChangeNothing() {
        var allowance = RateAllowance(now: t(0))
        allowance.observe(headers: headers([("anthropic-ratelimit-requests-limit", "100"),
                                            ("anthropic-ratelimit-requests-remaining", "0"),
                                            ("anthropic-ratelimit-requests-reset", "2026-11-26T16:21:00Z")]),
                          wallTime: wall, now: t(0))
        let paced = allowance.effectiveRate(now: t(1))
        allowance.observe(headers: headers([("content-type", "text/html")]), wallTime: wall + 1, now: t(1))
        #expect(paced != nil)
        #expect(allowance.effectiveRate(now: t(1)) == paced)
    }

    @Test func headerParsing() {
        let limits = RateLimitHeaders(headers([("Anthropic-RateLimit-Requests-Limit", "50"),
                                               ("anthropic-ratelimit-requests-remaining", "49"),
                                               ("anthropic-ratelimit-requests-reset", "2026-11-26T16:20:00Z"),
                                               ("anthropic-ratelimit-output-tokens-remaining", "junk")]))
        #expect(limits.requests == .init(limit: 50, remaining: 49, resetAt: 1_795_710_000))
        #expect(limits.outputTokens == nil)
        #expect(limits.tokens == nil)
        #expect(RateLimitHeaders(HTTPHeaders()).isEmpty)
    }

    @Test func headerParsingTakesTheFirstOfEachAndIgnoresStrangers() {
        let limits = RateLimitHeaders(headers([("anthropic-ratelimit-tokens-limit", "1000"),
                                               ("anthropic-ratelimit-tokens-limit", "5"),
                                               ("anthropic-ratelimit-input-tokens-remaining", "-3"),
                                               ("anthropic-ratelimit-input-tokens-reset", "soon"),
                                               ("anthropic-ratelimit-cache-tokens-limit", "7"),
                                               ("anthropic-ratelimit-requests-ceiling", "9"),
                                               ("anthropic-ratelimit-", "1"),
                                               ("x-anthropic-ratelimit-requests-limit", "3")]))
        #expect(limits.tokens == .init(limit: 1000))
        // A negative remaining is present but unusable: the dimension is there, the value not.
        #expect(limits.inputTokens == .init())
        #expect(limits.requests == nil && limits.outputTokens == nil)
    }
}
