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
        allowance.record(bare429(at: t(0)), wallTime: wall, now: t(0))
        #expect(allowance.rate == 5)
        allowance.record(bare429(at: t(0.5)), wallTime: wall, now: t(0.5))
        #expect(allowance.rate == 5)
        allowance.record(bare429(at: t(1)), wallTime: wall, now: t(1))
        #expect(allowance.rate == 2.5)
        for second in 2..<20 { allowance.record(bare429(at: t(Double(second))), wallTime: wall, now: t(Double(second))) }
        #expect(allowance.rate == 0.1)
    }

    /// A 429 without headers, as an upstream that sends none answers.
    func bare429(retryAfter: Double? = nil, at instant: MonotonicInstant) -> RateAllowance.Answer {
        RateAllowance.Answer(limits: RateLimitHeaders(), rateLimited: true, retryAfter: retryAfter, sentAt: instant)
    }

    func ok(at instant: MonotonicInstant) -> RateAllowance.Answer {
        RateAllowance.Answer(limits: RateLimitHeaders(), sentAt: instant)
    }

    /// The request dimension's headers: `limit` per minute, `remaining` now, full again in `reset` s.
    func requests(limit: Double, remaining: Double, reset: Double = 1) -> RateLimitHeaders {
        RateLimitHeaders(requests: .init(limit: limit, remaining: remaining, resetAt: wall + reset))
    }

    @Test func firstRateLimitCutsFromTheMeasuredRate() {
        var allowance = RateAllowance(now: t(0))
        for index in 0..<40 { #expect(allowance.decide(now: t(Double(index) * 0.025)) == .go) }
        #expect(allowance.measuredRate(now: t(1)) == 40)
        allowance.record(bare429(at: t(1)), wallTime: wall, now: t(1))
        #expect(allowance.rate == 20)
        #expect(allowance.decide(now: t(1)) == .wait(seconds: 0.05))
    }

    @Test func successRecoversAdditively() {
        var allowance = RateAllowance(settings: .init(initialRate: 10), now: t(0))
        allowance.record(bare429(at: t(0)), wallTime: wall, now: t(0))
        allowance.record(ok(at: t(1)), wallTime: wall, now: t(1))
        #expect(allowance.rate == 6)
        allowance.record(ok(at: t(3)), wallTime: wall, now: t(3))
        #expect(allowance.rate == 8)
    }

    /// The announced limit is the refill rate: Ballast paces just under it from the first
    /// answer, before any 429.
    @Test func trustedHeadersPaceAtTheAnnouncedRefillRate() {
        var allowance = RateAllowance(now: t(0))
        let verdict = allowance.record(
            .init(limits: requests(limit: 600, remaining: 500, reset: 10), sentAt: t(0)),
            wallTime: wall, now: t(0))
        #expect(verdict == .trusted)
        #expect(allowance.announcedLimit == 10)
        #expect(allowance.rate == 10)
        #expect(allowance.learnedCapacity == 501)
    }

    /// A 429 whose headers show the bucket empty cuts nothing: the first version halved on
    /// each such wave and climbed back at 5 % a second, delivering 110 of 150 req/s.
    @Test func aRateLimitTheHeadersExplainCutsNothing() {
        var allowance = RateAllowance(now: t(0))
        allowance.record(.init(limits: requests(limit: 600, remaining: 5), sentAt: t(0)), wallTime: wall, now: t(0))
        for second in 1...5 {
            let answer = RateAllowance.Answer(
                limits: requests(limit: 600, remaining: 0), rateLimited: true, retryAfter: 1,
                sentAt: t(Double(second)))
            allowance.record(answer, wallTime: wall, now: t(Double(second)))
        }
        #expect(allowance.rate == 10)
        // The bucket is empty: the next request waits for one refill (0.1 s), not for
        // the retry-after.
        guard case .wait(let wait) = allowance.decide(now: t(5)) else {
            Issue.record("expected a wait")
            return
        }
        #expect(abs(wait - 0.1) < 1e-9)
    }

    /// A 429 with trusted headers that show room is not explained by them: AIMD cuts.
    @Test func aRateLimitTheHeadersDoNotExplainCuts() {
        var allowance = RateAllowance(now: t(0))
        allowance.record(
            .init(limits: requests(limit: 600, remaining: 300), rateLimited: true, sentAt: t(0)),
            wallTime: wall, now: t(0))
        #expect(allowance.rate == 5)
    }

    /// A bucket far smaller than a minute's worth: its size is learned from `remaining`, and
    /// at most that much (less the margin) goes at once.
    @Test func theBucketSizeIsLearnedNotAssumed() {
        var allowance = RateAllowance(now: t(0))
        allowance.record(.init(limits: requests(limit: 9000, remaining: 9), sentAt: t(0)), wallTime: wall, now: t(0))
        #expect(allowance.learnedCapacity == 10)
        // Full bucket of 9 (10 x 0.9), lowered to the 9 the upstream holds.
        var sent = 0
        while allowance.decide(now: t(0)) == .go { sent += 1 }
        #expect(sent == 9)
    }

    /// What the upstream holds, less what was sent after the answered request, bounds the
    /// model's bucket: another client of the same organisation takes from it too.
    @Test func theModelBelievesTheUpstreamWhenItHoldsLess() {
        var allowance = RateAllowance(now: t(0))
        allowance.record(.init(limits: requests(limit: 6000, remaining: 99), sentAt: t(0)), wallTime: wall, now: t(0))
        for _ in 0..<10 { #expect(allowance.decide(now: t(0.001)) == .go) }
        // The request sent at 0 was answered at 0.02 with 30 left: the upstream held 30
        // when it arrived, and the 10 sent since are not in that figure.
        allowance.record(.init(limits: requests(limit: 6000, remaining: 30), sentAt: t(0)), wallTime: wall, now: t(0.02))
        var sent = 0
        while allowance.decide(now: t(0.02)) == .go { sent += 1 }
        // 30 + 100/s x 0.02 s of refill at most - the 10 sent after it = 22.
        #expect(sent == 22)
    }

    /// A model that fell below the upstream's bucket (attempts charged that never reached it:
    /// a stalled region) comes back up to it while requests go out at the refill rate, even
    /// when answers take a second: the upstream measured `remaining` somewhere in that second,
    /// and whatever the moment, the refill since and what was sent since nearly cancel. The
    /// old bound took the longest refill and the whole of what was sent apart, and stayed a
    /// second's refill (100) short: nothing came back (capacity simulation, seed 359).
    @Test func aModelBelowTheUpstreamComesBackUpWhileRequestsFlowAtTheRefillRate() {
        var allowance = RateAllowance(now: t(0))
        // 100 req/s, answers in a second at the fastest.
        allowance.record(.init(limits: requests(limit: 6000, remaining: 99), sentAt: t(0)), wallTime: wall, now: t(1))
        // The model's bucket is spent on attempts the upstream never received.
        while allowance.decide(now: t(1)) == .go {}
        // Then a request every 10 ms for two seconds, as the refill allows.
        var sent = 0
        for step in 0..<200 where allowance.decide(now: t(1 + Double(step) * 0.01)) == .go { sent += 1 }
        #expect(sent >= 190)
        // The upstream never saw the spent ones: the request sent at 2 s found 60 left.
        allowance.record(.init(limits: requests(limit: 6000, remaining: 60), sentAt: t(2)), wallTime: wall, now: t(3))
        var more = 0
        while allowance.decide(now: t(3)) == .go { more += 1 }
        // 60 + 100/s x 1 s - the 100 sent since, less a request or two for the moment's doubt.
        #expect(more >= 55 && more <= 60)
    }

    @Test(arguments: [
        ([("anthropic-ratelimit-requests-limit", "100"), ("anthropic-ratelimit-requests-remaining", "500")], "remaining_above_limit"),
        ([("anthropic-ratelimit-requests-limit", "100"), ("anthropic-ratelimit-requests-reset", "2026-11-26T16:10:00Z")], "reset_in_past"),
        ([("anthropic-ratelimit-requests-limit", "100"), ("anthropic-ratelimit-requests-reset", "2026-11-27T16:20:00Z")], "reset_too_far"),
        ([("anthropic-ratelimit-requests-limit", "lots")], "unreadable"),
    ])
    func headersThatCannotBeTrueFallBackToAIMD(fields: [(String, String)], reason: String) {
        var allowance = RateAllowance(now: t(0))
        allowance.record(.init(limits: requests(limit: 600, remaining: 500), sentAt: t(0)), wallTime: wall, now: t(0))
        #expect(allowance.rate == 10)
        let lying = RateAllowance.Answer(limits: RateLimitHeaders(headers(fields)), rateLimited: true, sentAt: t(1))
        #expect(allowance.record(lying, wallTime: wall, now: t(1)) == .untrusted(reason: reason))
        #expect(!allowance.headersTrusted)
        // AIMD from the last announced rate: the 429 halves it; traffic goes on at that rate.
        #expect(allowance.rate == 5)
        #expect(allowance.decide(now: t(1.2)) == .go)
    }

    @Test func retryAfterHoldsTheKeyWithoutHeaders() {
        var allowance = RateAllowance(settings: .init(initialRate: 100), now: t(0))
        allowance.record(bare429(retryAfter: 2, at: t(0)), wallTime: wall, now: t(0))
        #expect(allowance.rate == 50)
        guard case .wait(let first) = allowance.decide(now: t(0)) else {
            Issue.record("expected a wait")
            return
        }
        #expect(abs(first - 2) < 1e-9)
        guard case .wait(let second) = allowance.decide(now: t(1)) else {
            Issue.record("expected a wait")
            return
        }
        #expect(abs(second - 1) < 1e-9)
        #expect(allowance.decide(now: t(2.01)) == .go)
    }

    @Test func theLowerOfTheAllowanceAndTheAnnouncedRateApplies() {
        var allowance = RateAllowance(settings: .init(initialRate: 1), now: t(0))
        allowance.record(.init(limits: requests(limit: 6000, remaining: 10), sentAt: t(0)), wallTime: wall, now: t(0))
        #expect(allowance.rate == 1)
    }

    @Test func responsesWithoutHeadersChangeNothing() {
        var allowance = RateAllowance(now: t(0))
        allowance.record(.init(limits: requests(limit: 100, remaining: 0), sentAt: t(0)), wallTime: wall, now: t(0))
        let paced = allowance.rate
        let verdict = allowance.record(ok(at: t(1)), wallTime: wall + 1, now: t(1))
        #expect(verdict == .absent)
        #expect(paced != nil)
        #expect(allowance.rate == paced)
    }

    /// Input tokens are charged at admission from the body's length; a request waits until the
    /// input bucket holds them.
    @Test func inputTokensArePacedWithTheEstimate() {
        var allowance = RateAllowance(now: t(0))
        let limits = RateLimitHeaders(inputTokens: .init(limit: 60_000, remaining: 2_000, resetAt: wall + 1))
        allowance.record(.init(limits: limits, sentAt: t(0)), wallTime: wall, now: t(0))
        let cost = allowance.estimate(bodyBytes: 3_500, maxTokens: nil)
        #expect(cost.inputTokens == 1_000)
        // The bucket: 2,000 learned from what the upstream holds.
        #expect(allowance.decide(now: t(0), cost: cost) == .go)
        #expect(allowance.decide(now: t(0), cost: cost) == .go)
        guard case .wait(let wait) = allowance.decide(now: t(0.5), cost: cost) else {
            Issue.record("expected a wait")
            return
        }
        // 500 refilled of the 1,000 needed, at 1,000 tokens a second.
        #expect(abs(wait - 0.5) < 1e-9)
    }

    /// Output is estimated from max_tokens, then refunded to what the answer really produced;
    /// the share of max_tokens used is learned.
    @Test func outputEstimatesAreRefundedAndLearned() {
        var allowance = RateAllowance(now: t(0))
        let limits = RateLimitHeaders(outputTokens: .init(limit: 6_000, remaining: 100, resetAt: wall + 1))
        allowance.record(.init(limits: limits, sentAt: t(0)), wallTime: wall, now: t(0))
        let cost = allowance.estimate(bodyBytes: 10, maxTokens: 1_000)
        #expect(cost.outputTokens == 1_000)
        #expect(allowance.decide(now: t(0), cost: cost) == .go)
        // 100 - 1,000: in debt, so the next request waits for the output bucket.
        guard case .wait = allowance.decide(now: t(0), cost: cost) else {
            Issue.record("expected a wait")
            return
        }
        allowance.recordUsage(charged: cost, outputTokens: 50, maxTokens: 1_000)
        #expect(allowance.decide(now: t(0), cost: cost) == .go)
        #expect(allowance.outputRatio < 1)
        #expect(allowance.estimate(bodyBytes: 10, maxTokens: 1_000).outputTokens < 1_000)
    }

    /// An output bucket of 100 tokens refilled at 100 a second, learned from one answer.
    func outputLimited(remaining: Double = 100) -> RateAllowance {
        var allowance = RateAllowance(now: t(0))
        let limits = RateLimitHeaders(outputTokens: .init(limit: 6_000, remaining: remaining, resetAt: wall + 1))
        allowance.record(.init(limits: limits, sentAt: t(0)), wallTime: wall, now: t(0))
        return allowance
    }

    /// An answer longer than its estimate owes the difference (refunds alone left every
    /// underestimate unpaid, and the model ran ahead of the upstream).
    @Test func anAnswerLongerThanItsEstimateOwesTheDifference() {
        var allowance = outputLimited()
        let cost = RequestCost(outputTokens: 40)
        #expect(allowance.decide(now: t(0), cost: cost) == .go)
        allowance.recordUsage(charged: cost, outputTokens: 100, maxTokens: nil)
        // 100 - 100: empty, so the next request waits for one token.
        #expect(allowance.decide(now: t(0), cost: cost) == .wait(seconds: 0.01))
    }

    /// `tokens-*` shows the most restrictive token limit, not a bucket of its own: beside
    /// `output-tokens-*` it must not charge input tokens against the output limit.
    @Test func tokensHeadersBesideSeparateOnesAreNotABucket() {
        var allowance = RateAllowance(now: t(0))
        let limits = RateLimitHeaders(
            tokens: .init(limit: 6_000, remaining: 100, resetAt: wall + 1),
            outputTokens: .init(limit: 6_000, remaining: 100, resetAt: wall + 1))
        allowance.record(.init(limits: limits, sentAt: t(0)), wallTime: wall, now: t(0))
        let cost = RequestCost(inputTokens: 500, outputTokens: 10)
        #expect(allowance.decide(now: t(0), cost: cost) == .go)
        #expect(allowance.decide(now: t(0), cost: cost) == .go, "no input limit: only the output bucket counts")
        // Alone, `tokens-*` is an upstream with one combined limit.
        var combined = RateAllowance(now: t(0))
        combined.record(
            .init(limits: RateLimitHeaders(tokens: .init(limit: 6_000, remaining: 100, resetAt: wall + 1)), sentAt: t(0)),
            wallTime: wall, now: t(0))
        #expect(combined.decide(now: t(0), cost: cost) == .go)
        #expect(combined.decide(now: t(0), cost: cost) != .go)
    }

    /// Under an output-token limit the requests a second the key can serve are the token
    /// refill over the typical answer, not the (far higher) request limit: the demand backlog
    /// counts against this.
    @Test func supplyIsTheTightestBucketAtTheTypicalRequest() throws {
        var allowance = RateAllowance(now: t(0))
        let limits = RateLimitHeaders(
            requests: .init(limit: 60_000, remaining: 999, resetAt: wall + 1),
            outputTokens: .init(limit: 144_000, remaining: 2_399, resetAt: wall + 1))
        allowance.record(.init(limits: limits, sentAt: t(0)), wallTime: wall, now: t(0))
        #expect(allowance.supply?.rate == 1_000, "no request seen yet: the request limit")
        // Answers of 40 tokens to requests allowing 256: the output share is learned.
        for index in 0..<60 {
            let now = t(Double(index) * 0.1)
            let cost = allowance.estimate(bodyBytes: 350, maxTokens: 256)
            _ = allowance.decide(now: now, cost: cost)
            allowance.recordUsage(charged: cost, outputTokens: 40, maxTokens: 256)
        }
        let supply = try #require(allowance.supply)
        // 2,400 output tokens a second over answers of about 40 (the estimate errs high).
        #expect(supply.rate < 75 && supply.rate > 40, "supply \(supply.rate)")
        #expect(supply.stored < 75, "a bucket of 2,400 tokens holds about 60 answers: \(supply.stored)")
    }

    @Test func headerParsing() {
        let limits = RateLimitHeaders(
            headers([
                ("Anthropic-RateLimit-Requests-Limit", "50"),
                ("anthropic-ratelimit-requests-remaining", "49"),
                ("anthropic-ratelimit-requests-reset", "2026-11-26T16:20:00Z"),
                ("anthropic-ratelimit-output-tokens-remaining", "junk"),
            ]))
        #expect(limits.requests == .init(limit: 50, remaining: 49, resetAt: 1_795_710_000))
        #expect(limits.outputTokens == nil)
        #expect(limits.tokens == nil)
        #expect(RateLimitHeaders(HTTPHeaders()).isEmpty)
    }

    @Test func headerParsingTakesTheFirstOfEachAndIgnoresStrangers() {
        let limits = RateLimitHeaders(
            headers([
                ("anthropic-ratelimit-tokens-limit", "1000"),
                ("anthropic-ratelimit-tokens-limit", "5"),
                ("anthropic-ratelimit-input-tokens-remaining", "-3"),
                ("anthropic-ratelimit-input-tokens-reset", "soon"),
                ("anthropic-ratelimit-cache-tokens-limit", "7"),
                ("anthropic-ratelimit-requests-ceiling", "9"),
                ("anthropic-ratelimit-", "1"),
                ("x-anthropic-ratelimit-requests-limit", "3"),
            ]))
        #expect(limits.tokens == .init(limit: 1000))
        // A negative remaining is present but unusable: the dimension is there, the value not.
        #expect(limits.inputTokens == .init())
        #expect(limits.requests == nil && limits.outputTokens == nil)
        #expect(limits.malformedFields == 2)
        #expect(limits.distrust(wallTime: wall) == "unreadable")
    }
}
