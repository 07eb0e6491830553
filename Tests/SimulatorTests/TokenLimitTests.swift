@testable import BallastTesting
import Testing
@testable import BallastSimulator

/// Input and output token buckets as the API keeps them, stepped with explicit times.
@Suite struct TokenLimitTests {
    @Test func outputIsChargedAsItIsProducedAndMayGoIntoDebt() {
        // 60 output tokens per minute: one a second, a bucket of 60.
        var limiter = RateLimiter(settings: RateLimitSettings(outputTokensPerMinute: 60), now: 0)
        #expect(limiter.admit(inputTokens: 5_000, now: 0) == .admitted)  // no input limit
        // A reply of 100 tokens, produced evenly over 0...10 s.
        limiter.charge(output: OutputCharge(start: 0, end: 10, tokens: 100), now: 0)
        #expect(limiter.snapshot(now: 0).outputTokens?.remaining == 60)
        // By 1 s ten are produced and one refilled.
        #expect(limiter.snapshot(now: 1).outputTokens?.remaining == 51)
        limiter.settle(now: 1)
        // By 7 s: 60 - 70 + 7 = -3, with 30 still to come. Refused while in debt; retry-after
        // counts what is still owed, so a client honouring it is admitted.
        #expect(limiter.admit(inputTokens: 1, now: 7) == .limited(retryAfter: 34))
        let snapshot = limiter.snapshot(now: 7)
        #expect(snapshot.outputTokens?.remaining == 0)
        #expect(snapshot.outputTokens?.resetSeconds == 93)  // 63 to refill plus 30 owed
        var early = limiter
        #expect(early.admit(inputTokens: 1, now: 40.9) != .admitted)
        #expect(limiter.admit(inputTokens: 1, now: 41) == .admitted)
        #expect(limiter.pendingOutput.isEmpty)
    }

    @Test func aReplyStillInProductionDoesNotBlockAdmission() {
        var limiter = RateLimiter(settings: RateLimitSettings(outputTokensPerMinute: 600), now: 0)
        limiter.charge(output: OutputCharge(start: 1, end: 11, tokens: 1_000), now: 1)
        // Half produced at 6 s: 600 - 500 + 50 refilled.
        #expect(limiter.snapshot(now: 6).outputTokens?.remaining == 150)
        #expect(limiter.admit(inputTokens: 1, now: 6) == .admitted)
        // All of it by 11 s: 150 - 500 + 50 = -300.
        #expect(limiter.snapshot(now: 11).outputTokens?.remaining == 0)
        #expect(limiter.admit(inputTokens: 1, now: 11) == .limited(retryAfter: 30.1))
    }

    @Test func inputAndOutputAreSeparateBuckets() {
        // 20 input tokens a second, 2 output tokens a second.
        let settings = RateLimitSettings(inputTokensPerMinute: 1_200, outputTokensPerMinute: 120)
        var limiter = RateLimiter(settings: settings, now: 0)
        #expect(limiter.admit(inputTokens: 900, now: 0) == .admitted)
        limiter.charge(output: OutputCharge(start: 0, end: 0, tokens: 40), now: 0)
        let snapshot = limiter.snapshot(now: 0)
        #expect(snapshot.inputTokens == RateLimitReading(limit: 1_200, remaining: 300, resetSeconds: 45))
        #expect(snapshot.outputTokens == RateLimitReading(limit: 120, remaining: 80, resetSeconds: 20))
        // The combined headers show the most restrictive of the two.
        #expect(snapshot.tokens == snapshot.outputTokens)
        // Input lacking refuses even though output has room.
        #expect(limiter.admit(inputTokens: 400, now: 0) == .limited(retryAfter: 5))
        #expect(limiter.admit(inputTokens: 250, now: 0) == .admitted)
        #expect(limiter.snapshot(now: 0).tokens == limiter.snapshot(now: 0).inputTokens)
    }

    @Test func theOldCombinedFigureSetsBothBuckets() throws {
        let legacy = RateLimitSettings(tokensPerMinute: 600)
        #expect(legacy.inputTokensPerMinute == 600 && legacy.outputTokensPerMinute == 600)
        #expect(legacy.inputTokenCapacity == 600 && legacy.outputTokenCapacity == 600)
        let explicit = RateLimitSettings(tokensPerMinute: 600, outputTokensPerMinute: 90, outputTokensBurst: 30)
        #expect(explicit.inputTokensPerMinute == 600 && explicit.outputTokensPerMinute == 90)
        #expect(explicit.outputTokenCapacity == 30)
        let parsed = try FaultSettings.parse("rate_limit: { tokens_per_minute: 600, output_tokens_per_minute: 90, output_tokens_burst: 30 }")
        #expect(parsed.rateLimit == explicit)
    }

    @Test func aSmallBurstIsEnforcedBelowTheMinutesFigure() {
        // 60 RPM enforced as one a second: a burst of two is refused, the header still says 60.
        var limiter = RateLimiter(settings: RateLimitSettings(requestsPerSecond: 1, burst: 1), now: 0)
        #expect(limiter.admit(inputTokens: 1, now: 0) == .admitted)
        #expect(limiter.admit(inputTokens: 1, now: 0.5) == .limited(retryAfter: 0.5))
        #expect(limiter.snapshot(now: 0.5).requests == RateLimitReading(limit: 60, remaining: 0, resetSeconds: 0.5))
    }

    @Test func replyProductionFollowsThePlan() {
        let request = MessagesRequest.parse(
            Array(#"{"model":"m","max_tokens":100,"messages":[{"role":"user","content":"hi"}]}"#.utf8),
            requireMaxTokens: true)
        guard case .success(let parsed) = request else {
            Issue.record("unparsable")
            return
        }
        let plan = ReplyPlan(request: parsed, output: OutputModel(), forcedTokens: 20)
        let latency = LatencyPlan(firstByte: 2, tokenInterval: 0.5)
        #expect(
            RegionEngine.output(of: .none, plan: plan, latency: latency, streaming: true, now: 10)
                == OutputCharge(start: 12, end: 21.5, tokens: 20))
        // A stream cut midway produced half; failures produce nothing.
        #expect(
            RegionEngine.output(of: .streamError, plan: plan, latency: latency, streaming: true, now: 10)
                == OutputCharge(start: 12, end: 16.5, tokens: 10))
        #expect(RegionEngine.output(of: .error(503), plan: plan, latency: latency, streaming: false, now: 10) == nil)
        #expect(RegionEngine.output(of: .reset, plan: plan, latency: latency, streaming: false, now: 10) == nil)
    }
}
