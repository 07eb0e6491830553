import BallastCore
@testable import BallastTesting
import Testing
@testable import BallastSimulator

@Suite struct FaultModelTests {
    @Test func decisionsFollowTheRatios() {
        let faults = FaultSettings(errorRatios: [500: 0.01, 529: 0.03], resetRatio: 0.02, streamErrorRatio: 0.1)
        var random = SeededRandom(seed: 7)
        var counts: [String: Int] = [:]
        let draws = 200_000
        for _ in 0..<draws {
            let decision = FaultDecision.choose(faults: faults, draws: RequestDraws(using: &random), streaming: true)
            switch decision {
            case .none: counts["none", default: 0] += 1
            case .reset: counts["reset", default: 0] += 1
            case .error(let status): counts["\(status)", default: 0] += 1
            case .streamError: counts["stream", default: 0] += 1
            case .spendLimit: counts["spend", default: 0] += 1
            }
        }
        func share(_ key: String) -> Double { Double(counts[key] ?? 0) / Double(draws) }
        #expect(abs(share("reset") - 0.02) < 0.002)
        #expect(counts["spend"] == nil)  // only ever forced
        #expect(abs(share("500") - 0.01) < 0.0015)
        #expect(abs(share("529") - 0.03) < 0.002)
        // Stream errors hit 10% of the requests that got no other fault.
        #expect(abs(share("stream") - 0.094) < 0.004)
    }

    @Test func sameSeedSameDecisions() {
        let faults = FaultSettings(errorRatios: [503: 0.2], resetRatio: 0.1)
        func run(_ seed: UInt64) -> [FaultDecision] {
            var random = SeededRandom(seed: seed)
            return (0..<500).map { _ in FaultDecision.choose(faults: faults, draws: RequestDraws(using: &random), streaming: false) }
        }
        #expect(run(1) == run(1))
        #expect(run(1) != run(2))
    }

    @Test func nonStreamedRequestsGetNoStreamErrors() {
        let faults = FaultSettings(streamErrorRatio: 1)
        #expect(FaultDecision.choose(faults: faults, draws: RequestDraws(streamError: 0), streaming: false) == .none)
        #expect(FaultDecision.choose(faults: faults, draws: RequestDraws(streamError: 0), streaming: true) == .streamError)
    }

    @Test func latencyModel() {
        let model = LatencyModel(
            firstByteMedian: 0.2, firstByteSpread: 0.3, tokenInterval: 0.005,
            slowTail: SlowTailModel(ratio: 0.5, factor: 4), stall: StallModel(ratio: 0.1, duration: 3))
        let plain = LatencyPlan.sample(model, draws: RequestDraws(slowTail: 0.9, stall: 0.9, normal: 0))
        #expect(plain == LatencyPlan(firstByte: 0.2, tokenInterval: 0.005))
        let slow = LatencyPlan.sample(model, draws: RequestDraws(slowTail: 0.1, stall: 0.9, normal: 0))
        #expect(abs(slow.firstByte - 0.8) < 1e-9 && abs(slow.tokenInterval - 0.02) < 1e-9)
        let stalled = LatencyPlan.sample(model, draws: RequestDraws(slowTail: 0.9, stall: 0.05, normal: 0))
        #expect(abs(stalled.firstByte - 3.2) < 1e-9)
        let forced = LatencyPlan.sample(
            model, draws: RequestDraws(slowTail: 0.1, stall: 0.9, normal: 2),
            forcedFirstByte: 0.05, forcedTokenInterval: 0)
        #expect(forced == LatencyPlan(firstByte: 0.05, tokenInterval: 0))

        // Lognormal: the median of many samples is the configured median.
        var random = SeededRandom(seed: 3)
        let samples = (0..<20_001).map { _ in
            LatencyPlan.sample(LatencyModel(firstByteMedian: 0.2, firstByteSpread: 0.3), draws: RequestDraws(using: &random)).firstByte
        }.sorted()
        #expect(abs(samples[10_000] - 0.2) < 0.005)
    }

    @Test func forcedFaultHeaderValues() {
        #expect(ForcedFault(headerValue: "429") == .status(429))
        #expect(ForcedFault(headerValue: "529") == .status(529))
        #expect(ForcedFault(headerValue: "reset") == .reset)
        #expect(ForcedFault(headerValue: "stream_error") == .streamError)
        #expect(ForcedFault(headerValue: "stall") == .stall)
        #expect(ForcedFault(headerValue: "spend_limit") == .spendLimit)
        #expect(ForcedFault(headerValue: "404") == nil)
        #expect(ForcedFault(headerValue: "boom") == nil)
    }
}

@Suite struct RateLimitTests {
    @Test func bucketRefillsWithTime() {
        var bucket = TokenBucket(capacity: 2, ratePerSecond: 4, now: 100)
        func take(_ now: Double) -> Bool { bucket.take(1, now: now) }
        #expect(take(100))
        #expect(take(100))
        #expect(!take(100))
        #expect(bucket.secondsUntil(1) == 0.25)
        #expect(!take(100.2))
        #expect(take(100.25))
        #expect(take(101))
        #expect(take(101))
        #expect(bucket.level == 0)
        // Never above capacity.
        bucket.refill(now: 1000)
        #expect(bucket.level == 2)
    }

    @Test func limiterAnswersRetryAfterTruthfully() {
        var limiter = RateLimiter(settings: RateLimitSettings(requestsPerSecond: 2, burst: 3), now: 0)
        func admit(_ now: Double) -> RateLimiter.Decision { limiter.admit(inputTokens: 10, now: now) }
        for _ in 0..<3 { #expect(admit(0) == .admitted) }
        #expect(admit(0) == .limited(retryAfter: 0.5))
        #expect(limiter.snapshot(now: 0).requests?.remaining == 0)
        #expect(limiter.snapshot(now: 0).requests?.resetSeconds == 1.5)
        #expect(admit(0.5) == .admitted)
        #expect(limiter.snapshot(now: 0.5).requests?.limit == 120)
        #expect(limiter.snapshot(now: 0.5).tokens == nil)
    }

    @Test func inputTokenBucketLimitsInputTokensPerMinute() {
        var limiter = RateLimiter(settings: RateLimitSettings(inputTokensPerMinute: 600), now: 0)
        func admit(_ cost: Int, _ now: Double) -> RateLimiter.Decision { limiter.admit(inputTokens: cost, now: now) }
        #expect(admit(500, 0) == .admitted)
        // 100 left; 300 more need 200 at 10 tokens per second.
        #expect(admit(300, 0) == .limited(retryAfter: 20))
        #expect(admit(300, 20) == .admitted)
        #expect(limiter.snapshot(now: 20).inputTokens?.remaining == 0)
        #expect(limiter.snapshot(now: 20).requests == nil)
        #expect(limiter.snapshot(now: 20).outputTokens == nil)
        // A cost above the capacity waits for a full bucket rather than forever.
        #expect(admit(10_000, 20) == .limited(retryAfter: 60))
    }

    @Test func newFiguresKeepWhatWasSpent() {
        var limiter = RateLimiter(settings: RateLimitSettings(requestsPerSecond: 1), now: 0)
        func admit(_ now: Double = 0) -> RateLimiter.Decision { limiter.admit(inputTokens: 1, now: now) }
        #expect(admit() == .admitted)
        #expect(admit() != .admitted)
        limiter.update(RateLimitSettings(requestsPerSecond: 1), now: 0)
        #expect(admit() != .admitted)
        // A higher limit refills faster but hands out no fresh allowance.
        limiter.update(RateLimitSettings(requestsPerSecond: 5), now: 0)
        #expect(admit() == .limited(retryAfter: 0.2))
        #expect(admit(0.2) == .admitted)
        // A bucket that did not exist before starts full.
        limiter.update(RateLimitSettings(requestsPerSecond: 5, inputTokensPerMinute: 60), now: 0.2)
        #expect(limiter.snapshot(now: 0.2).inputTokens?.remaining == 60)
    }
}

@Suite struct FormattingTests {
    @Test func rfc3339() {
        #expect(RFC3339.format(epochSeconds: 0) == "1970-01-01T00:00:00Z")
        #expect(RFC3339.format(epochSeconds: 951_782_400) == "2000-02-29T00:00:00Z")
        #expect(RFC3339.format(epochSeconds: 1_700_000_000.2) == "2023-11-14T22:13:21Z")
        #expect(RFC3339.format(epochSeconds: 4_102_444_799) == "2099-12-31T23:59:59Z")
    }

    @Test func statsJSON() {
        var stats = SimulatorStats()
        stats.requestsReceived = 3
        stats.responsesByStatus = [529: 1, 200: 2]
        stats.bytesSent = 99
        #expect(
            stats.json == #"{"requests_received":3,"responses_by_status":{"200":2,"529":1},"streams_active":0,"#
                + #""streams_completed":0,"streams_aborted_by_client":0,"stream_errors":0,"resets":0,"bytes_sent":99,"#
                + #""refusal_periods":0}"#)
    }
}
