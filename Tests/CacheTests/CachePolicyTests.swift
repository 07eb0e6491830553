import BallastCore
import Cache
import Testing

@Suite("Cache policy")
struct CachePolicyTests {
    private let policy = CachePolicy(defaultTTL: 600, maxTTL: 3600, temperatureZeroTTL: 0)
    private let body = Array(#"{"model":"m","max_tokens":5,"messages":[]}"#.utf8)

    private func decide(
        _ header: String?, policy: CachePolicy? = nil, method: String = "POST",
        path: String = "/v1/messages", body: [UInt8]? = nil
    ) -> CacheDecision {
        var headers: HTTPHeaders = ["anthropic-version": "2023-06-01"]
        if let header { headers.add("X-Ballast-Cache", header) }
        return (policy ?? self.policy).decide(method: method, path: path, headers: headers, body: body ?? self.body)
    }

    @Test(
        "x-ballast-cache values",
        arguments: [
            ("ttl=600", CacheDecision.cache(ttl: 600)),
            ("ttl=10m", .cache(ttl: 600)),
            ("TTL = 90", .cache(ttl: 90)),
            ("ttl=1.5", .cache(ttl: 1.5)),
            ("ttl=1h30m", .cache(ttl: 3600)),  // capped at maxTTL
            ("ttl=500ms", .cache(ttl: 0.5)),
            ("on", .cache(ttl: 600)),
            (" ttl ", .cache(ttl: 600)),
            ("off", .bypass(.optedOut)),
            ("no-store", .bypass(.optedOut)),
            ("ttl=0", .bypass(.optedOut)),
            ("ttl=-5", .bypass(.invalidDirective)),
            ("ttl=soon", .bypass(.invalidDirective)),
            ("ttl=", .bypass(.invalidDirective)),
            ("yes please", .bypass(.invalidDirective)),
        ])
    func directives(header: String, expected: CacheDecision) {
        #expect(decide(header) == expected)
    }

    @Test("no header and no rule: not cached, but degradation may still answer from the cache")
    func notOptedIn() {
        let decision = decide(nil)
        #expect(decision == .bypass(.notOptedIn))
        #expect(decision.allowsDegradedAnswer)
        #expect(!decide("off").allowsDegradedAnswer)
        #expect(decide("on").allowsDegradedAnswer)
        #expect(!decide("on", path: "/v1/models").allowsDegradedAnswer)
    }

    @Test("only POST /v1/messages and /v1/messages/count_tokens are cacheable")
    func routes() {
        #expect(decide("on", path: "/v1/messages/count_tokens") == .cache(ttl: 600))
        #expect(decide("on", path: "/v1/messages/batches") == .bypass(.notCacheableRoute))
        #expect(decide("on", path: "/v1/models") == .bypass(.notCacheableRoute))
        #expect(decide("on", method: "GET") == .bypass(.notCacheableRoute))
    }

    @Test("temperature 0 rule: only when configured, only for temperature 0, and the header wins")
    func temperatureZero() {
        let rule = CachePolicy(defaultTTL: 600, maxTTL: 3600, temperatureZeroTTL: 120)
        let zero = Array(#"{"model":"m","temperature":0.0,"messages":[]}"#.utf8)
        let one = Array(#"{"model":"m","temperature":1,"messages":[]}"#.utf8)
        let nested = Array(#"{"model":"m","messages":[{"temperature":0}]}"#.utf8)
        #expect(decide(nil, policy: rule, body: zero) == .cache(ttl: 120))
        #expect(decide(nil, policy: rule, body: one) == .bypass(.notOptedIn))
        #expect(decide(nil, policy: rule, body: body) == .bypass(.notOptedIn))
        #expect(decide(nil, policy: rule, body: nested) == .bypass(.notOptedIn))
        #expect(decide(nil, policy: policy, body: zero) == .bypass(.notOptedIn))  // rule off
        #expect(decide("off", policy: rule, body: zero) == .bypass(.optedOut))
        #expect(decide("ttl=30", policy: rule, body: zero) == .cache(ttl: 30))
        let long = CachePolicy(defaultTTL: 600, maxTTL: 60, temperatureZeroTTL: 120)
        #expect(decide(nil, policy: long, body: zero) == .cache(ttl: 60))
    }

    @Test("a disabled cache bypasses everything")
    func disabled() {
        let off = CachePolicy(enabled: false)
        #expect(decide("on", policy: off) == .bypass(.disabled))
        #expect(decide("on", policy: off).ttl == nil)
        #expect(!decide("on", policy: off).allowsDegradedAnswer)
    }
}
