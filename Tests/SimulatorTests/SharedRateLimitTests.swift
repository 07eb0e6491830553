@testable import BallastTesting
import Dispatch
import Synchronization
import Testing
@testable import BallastSimulator

/// Rate limits per credential, shared by the regions, as the API keeps them per organisation.
/// Bucket times follow a `ManualClock`: no sleeps.
@Suite struct SharedRateLimitTests {
    private func call(_ simulator: Simulator, _ region: String, key: String = "k1") throws -> CurlResult {
        let url = try #require(simulator.region(named: region)).baseURL + "/v1/messages"
        return try Curl.request(url, json: messagesBody(), headers: ["x-api-key": key])
    }

    @Test func regionsCalledWithOneKeyShareTheOrganisationsBucket() throws {
        let clock = ManualClock()
        let simulator = Simulator(
            config: try SimulatorConfig.parse(
                """
                rate_limit: { requests_per_minute: 60, burst: 2 }
                regions:
                  - { name: a }
                  - { name: b }
                  - { name: own, rate_limit: { scope: region, requests_per_second: 1, burst: 2 } }
                """), clock: clock)
        try simulator.start()
        defer { simulator.stop() }
        #expect(try call(simulator, "a").status == 200)
        let second = try call(simulator, "b")
        #expect(second.status == 200)
        // b's headers show a's request: one bucket.
        #expect(second.header("anthropic-ratelimit-requests-remaining") == "0")
        #expect(second.header("anthropic-ratelimit-requests-limit") == "60")
        // Failing over to another region does not escape the limit.
        let refused = try call(simulator, "b")
        #expect(refused.status == 429)
        #expect(refused.header("retry-after") == "1")
        #expect(try call(simulator, "a").status == 429)
        // Another key is another organisation; a region with its own limits has its own bucket.
        #expect(try call(simulator, "a", key: "k2").status == 200)
        #expect(try call(simulator, "own").status == 200)
        clock.advance(seconds: 1)
        #expect(try call(simulator, "b").status == 200)
        #expect(try call(simulator, "a").status == 429)
    }

    @Test func legacyRegionLimitsAreSharedUnlessScopedToTheRegion() throws {
        let clock = ManualClock()
        let simulator = Simulator(
            config: try SimulatorConfig.parse(
                """
                regions:
                  - { name: a, faults: { rate_limit: { requests_per_second: 1, burst: 1 } } }
                  - { name: b, faults: { rate_limit: { requests_per_second: 1, burst: 1 } } }
                """), clock: clock)
        try simulator.start()
        defer { simulator.stop() }
        #expect(try call(simulator, "a").status == 200)
        #expect(try call(simulator, "b").status == 429)
        // At run time a region may take limits of its own, leaving the shared bucket.
        let b = try #require(simulator.region(named: "b"))
        b.setFaults(FaultSettings(rateLimit: RateLimitSettings(requestsPerSecond: 1, burst: 1, scope: .region)))
        #expect(try call(simulator, "b").status == 200)
        #expect(try call(simulator, "b").status == 429)
        #expect(try call(simulator, "a").status == 429)
    }

    @Test func aScheduledLimitChangeKeepsWhatWasSpent() throws {
        let clock = ManualClock()
        let simulator = Simulator(
            config: try SimulatorConfig.parse(
                """
                rate_limit: { requests_per_second: 1, burst: 1 }
                regions:
                  - name: a
                    schedule: [{ at: 10s, for: 10s, faults: { rate_limit: { requests_per_second: 0.25, burst: 1 } } }]
                """), clock: clock)
        try simulator.start()
        defer { simulator.stop() }
        clock.advance(seconds: 10)
        #expect(try call(simulator, "a").status == 200)
        clock.advance(seconds: 1)
        // 0.25 refilled of the one it needs, at 0.25 a second.
        let refused = try call(simulator, "a")
        #expect(refused.status == 429)
        #expect(refused.header("retry-after") == "3")
        #expect(refused.header("anthropic-ratelimit-requests-limit") == "15")
    }

    @Test func tokenHeadersFollowTheAPI() throws {
        let clock = ManualClock()
        let simulator = Simulator(
            config: try SimulatorConfig.parse(
                """
                rate_limit: { input_tokens_per_minute: 40000, output_tokens_per_minute: 600, output_tokens_burst: 100 }
                regions: [{ name: a, output: { min_tokens: 30, max_tokens: 30 } }]
                """), clock: clock)
        try simulator.start()
        defer { simulator.stop() }
        let first = try call(simulator, "a")
        #expect(first.status == 200)
        #expect(first.header("anthropic-ratelimit-input-tokens-limit") == "40000")
        #expect(first.header("anthropic-ratelimit-output-tokens-limit") == "600")
        // No latency: the 30 output tokens are produced at once.
        #expect(first.header("anthropic-ratelimit-output-tokens-remaining") == "70")
        // The combined headers are the most restrictive of the two: output.
        #expect(first.header("anthropic-ratelimit-tokens-limit") == "600")
        #expect(first.header("anthropic-ratelimit-tokens-remaining") == "70")
        #expect(first.header("anthropic-ratelimit-requests-limit") == nil)
        for _ in 0..<3 { _ = try call(simulator, "a") }
        // 100 - 4 * 30: in debt, refused until it is paid off (21 tokens at 10 a second).
        let refused = try call(simulator, "a")
        #expect(refused.status == 429)
        #expect(refused.header("retry-after") == "3")
        #expect(refused.header("anthropic-ratelimit-output-tokens-remaining") == "0")
        clock.advance(seconds: 2.2)
        #expect(try call(simulator, "a").status == 200)
    }

    @Test func theStoreAdmitsExactlyItsBurstAcrossThreads() {
        let store = RateLimitStore()
        let settings = RateLimitSettings(requestsPerSecond: 1, burst: 500)
        let admitted = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 2_000) { _ in
            if store.admit(credential: "k", settings: settings, inputTokens: 1, now: 0) == .admitted {
                admitted.add(1, ordering: .relaxed)
            }
        }
        #expect(admitted.load(ordering: .relaxed) == 500)
        #expect(store.snapshot(credential: "k", settings: settings, now: 0).requests?.remaining == 0)
    }

    @Test func theStoreForgetsCredentialsThatAreAsGoodAsFresh() {
        let store = RateLimitStore()
        let settings = RateLimitSettings(requestsPerSecond: 1, burst: 1)
        for index in 0..<3_000 {
            _ = store.admit(credential: "k\(index)", settings: settings, inputTokens: 1, now: Double(index))
        }
        #expect(store.count <= RateLimitStore.sweepThreshold + 1)
        // Reading an unknown credential stores nothing.
        _ = store.snapshot(credential: "never-charged", settings: settings, now: 3_000)
        #expect(store.snapshot(credential: "never-charged", settings: settings, now: 3_000).requests?.remaining == 1)
        store.reset()
        #expect(store.count == 0)
    }
}
