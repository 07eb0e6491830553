import BallastConfig
import BallastCore
@testable import Gateway
import Testing
@testable import Proxy

struct UsageAccountingTests {
    @Test func overheadIsWhatTheClientNeverReceived() {
        // The delivered answer is not overhead; the loser of a race is a hedge's; an error
        // answer discarded for another try is a retry's; the client leaving cancels the rest.
        #expect(UsageAccounting.overhead(delivered: true, cancelledByBallast: false, failed: false, clientGone: false) == nil)
        #expect(UsageAccounting.overhead(delivered: false, cancelledByBallast: true, failed: false, clientGone: false) == .hedge)
        #expect(UsageAccounting.overhead(delivered: false, cancelledByBallast: true, failed: true, clientGone: false) == .retry)
        #expect(UsageAccounting.overhead(delivered: false, cancelledByBallast: false, failed: true, clientGone: false) == .retry)
        #expect(UsageAccounting.overhead(delivered: true, cancelledByBallast: true, failed: false, clientGone: true) == .cancelled)
        #expect(UsageAccounting.overhead(delivered: false, cancelledByBallast: false, failed: true, clientGone: true) == .retry)
    }

    @Test func costsFollowTheFirstMatchingPriceAndNeedAKnownUsage() {
        let accounting = UsageAccounting(
            pricing: PricingConfig(prices: [
                ModelPrice(model: "claude-opus-4-1*", input: 15, output: 75, cacheCreation: 18.75, cacheRead: 1.5),
                ModelPrice(model: "claude-opus-*", input: 5, output: 25, cacheCreation: 6.25, cacheRead: 0.5),
            ]))
        let usage = MessageUsage(
            inputTokens: 1_000_000, outputTokens: 2_000_000, cacheCreationInputTokens: 4_000_000,
            cacheReadInputTokens: 10_000_000)
        #expect(abs((accounting.cost(of: usage, model: "claude-opus-4-1-20250805") ?? 0) - (15 + 150 + 75 + 15)) < 1e-9)
        #expect(abs((accounting.cost(of: usage, model: "claude-opus-4-5") ?? 0) - (5 + 50 + 25 + 5)) < 1e-9)
        #expect(accounting.cost(of: usage, model: "claude-unknown") == nil)
        #expect(accounting.cost(of: .unknown, model: "claude-opus-4-5") == nil)
        var invalid = usage
        invalid.state = .invalid
        #expect(accounting.cost(of: invalid, model: "claude-opus-4-5") == nil)
    }

    @Test func aCredentialIsFingerprintedNeverShown() {
        var headers = HTTPHeaders()
        headers.add("x-api-key", "sk-ant-secret-123")
        let print = UsageAccounting.credentialFingerprint(headers)
        #expect(print.hasPrefix("key-") && print.count == 16 && !print.contains("secret"))
        var bearer = HTTPHeaders()
        bearer.add("authorization", "Bearer other")
        #expect(UsageAccounting.credentialFingerprint(bearer) != print)
        #expect(UsageAccounting.credentialFingerprint(HTTPHeaders()) == "none")
    }

    @Test func theLastHourRateReadsOnlyTheLastHour() {
        var rate = UsageRate()
        let start = 1_000_000.0
        rate.add(tokens: 7200, costUSD: 1, at: start + 10)  // more than an hour before the read: gone
        rate.add(tokens: 3600, costUSD: 0.5, at: start + 4000)
        rate.add(tokens: 3600, costUSD: 0.5, at: start + 7000)
        let read = rate.rate(at: start + 7210, since: start)
        #expect(read.tokensPerSecond == 2)
        #expect(read.costPerHour == 1)
        // Up for ten minutes: the rate is over those ten minutes, not diluted by an hour.
        var fresh = UsageRate()
        fresh.add(tokens: 600, costUSD: 0.1, at: start + 300)
        let early = fresh.rate(at: start + 600, since: start)
        #expect(early.tokensPerSecond == 1)
        #expect(abs(early.costPerHour - 0.6) < 1e-12)
        for minute in 0..<500 { fresh.add(tokens: 1, costUSD: 0, at: start + Double(minute) * 60) }
        #expect(fresh.buckets.count <= 62)
    }
}
