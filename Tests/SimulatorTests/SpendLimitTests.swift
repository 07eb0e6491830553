@testable import BallastTesting
import Testing
@testable import BallastSimulator

/// `x-sim-fault: spend_limit`: the 429 a client must not retry.
@Suite struct SpendLimitTests {
    @Test func answersTheNonRetryable429() throws {
        // ManualClock's wall time 1_700_000_000 is 2023-11-14T22:13:20Z.
        let simulator = try startSimulator(
            SimulatedRegionConfig(
                latency: LatencyModel(firstByteMedian: 2),
                faults: FaultSettings(rateLimit: RateLimitSettings(requestsPerSecond: 10))),
            clock: ManualClock())
        defer { simulator.stop() }
        let region = try #require(simulator.region(named: "primary"))
        let expected = "You have reached your specified API usage limits. You will regain access on 2023-12-01 at 00:00 UTC."
        for (path, body) in [
            ("/v1/messages", messagesBody()), ("/v1/messages", messagesBody(stream: true)),
            ("/v1/messages/count_tokens", #"{"model":"m","messages":[{"role":"user","content":"hi"}]}"#),
        ] {
            let result = try Curl.request(
                region.baseURL + path, json: body, headers: ["x-sim-fault": "spend_limit"],
                writeOut: "%{time_total}")
            #expect(result.status == 429, "\(path)")
            #expect(result.header("content-type") == "application/json")
            #expect(result.header("x-should-retry") == "false")
            #expect(result.header("retry-after") == nil)
            #expect(result.header("request-id")?.hasPrefix("req_") == true)
            #expect(result.header("anthropic-ratelimit-requests-limit") == "600")
            let object = try #require(jsonObject(result.body))
            #expect(object["type"] as? String == "error")
            let error = try #require(object["error"] as? [String: Any])
            #expect(error["type"] as? String == "rate_limit_error")
            #expect(error["message"] as? String == expected)
            // At once, as the edge answers every 429, despite the 2 s first byte.
            #expect((Double(result.writeOut) ?? 9) < 1, "\(result.writeOut)")
        }
        // The rate-limit 429 keeps its retry signals.
        let rateLimited = try Curl.request(region.baseURL + "/v1/messages", json: messagesBody(), headers: ["x-sim-fault": "429"])
        #expect(rateLimited.header("x-should-retry") == "true")
        #expect(rateLimited.header("retry-after") != nil)
        #expect(region.stats.responses(status: 429) == 4)
        let bad = try Curl.request(region.baseURL + "/v1/messages", json: messagesBody(), headers: ["x-sim-fault": "spend"])
        #expect(bad.status == 400 && bad.body.contains("spend_limit"))
    }

    @Test func regainDateIsTheFirstOfNextMonth() {
        #expect(RFC3339.startOfNextMonth(epochSeconds: 1_700_000_000) == "2023-12-01")
        #expect(RFC3339.startOfNextMonth(epochSeconds: 1_703_980_800) == "2024-01-01")  // 2023-12-31T00:00Z
        #expect(RFC3339.startOfNextMonth(epochSeconds: 1_706_745_599) == "2024-02-01")  // 2024-01-31T23:59:59Z
        #expect(RFC3339.startOfNextMonth(epochSeconds: 1_706_745_600) == "2024-03-01")  // 2024-02-01T00:00Z
        #expect(RFC3339.format(epochSeconds: 1_700_000_000) == "2023-11-14T22:13:20Z")
    }
}
