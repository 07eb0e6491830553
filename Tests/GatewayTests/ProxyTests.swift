import BallastConfig
import BallastCore
import BallastTesting
import Gateway
import HTTPServer
import Synchronization
import Testing
import Upstream

@Suite struct ProxyTests {
    static let message = #"{"model":"claude-sonnet-4-6","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}"#

    @Test func forwardsAMessageWithConfiguredKeyAndVersion() async throws {
        let seen = Mutex<HTTPRequest?>(nil)
        let upstream = try startUpstream { request, responder in
            seen.withLock { $0 = request }
            responder.respond(
                .json(
                    200, #"{"id":"msg_1","type":"message"}"#,
                    headers: ["request-id": "req_abc", "anthropic-ratelimit-requests-remaining": "99"]))
        }
        defer { upstream.stop() }
        let harness = try GatewayHarness(regions: [RegionConfig(name: "primary", baseURL: "http://\(upstream.address)")])
        defer { harness.stop() }

        let result = await harness.post(
            body: Self.message,
            headers: [
                "content-type": "application/json", "x-api-key": "sk-client", "authorization": "Bearer sk-client",
                "anthropic-beta": "tools-2024", "accept-encoding": "gzip", "x-ballast-hedge": "off",
            ])
        #expect(result.head?.status == 200)
        #expect(result.text == #"{"id":"msg_1","type":"message"}"#)
        #expect(result.head?.headers["request-id"] == "req_abc")
        #expect(result.head?.headers["anthropic-ratelimit-requests-remaining"] == "99")
        #expect(result.head?.headers["x-ballast-region"] == "primary")
        #expect(result.head?.headers["x-ballast-attempts"] == "1")
        #expect(result.head?.headers["x-ballast-overhead-ms"].flatMap(Double.init) != nil)

        let request = try #require(seen.withLock { $0 })
        #expect(request.path == "/v1/messages")
        #expect(request.headers["x-api-key"] == "sk-configured")
        #expect(request.headers["authorization"] == nil)
        #expect(request.headers["anthropic-version"] == "2023-06-01")
        #expect(request.headers["anthropic-beta"] == "tools-2024")
        #expect(request.headers["accept-encoding"] == nil)
        #expect(request.headers["x-ballast-hedge"] == nil)
        #expect(String(decoding: request.body, as: UTF8.self) == Self.message)
    }

    @Test func passthroughKeepsTheClientsKeyAndVersion() async throws {
        let seen = Mutex<HTTPHeaders?>(nil)
        let upstream = try startUpstream { request, responder in
            seen.withLock { $0 = request.headers }
            responder.respond(.json(200, "{}"))
        }
        defer { upstream.stop() }
        let harness = try GatewayHarness(
            regions: [RegionConfig(name: "primary", baseURL: "http://\(upstream.address)")],
            auth: .passthrough)
        defer { harness.stop() }
        let result = await harness.post(
            body: Self.message,
            headers: [
                "content-type": "application/json", "x-api-key": "sk-client", "anthropic-version": "2099-01-01",
            ])
        #expect(result.head?.status == 200)
        let headers = try #require(seen.withLock { $0 })
        #expect(headers["x-api-key"] == "sk-client")
        #expect(headers["anthropic-version"] == "2099-01-01")
    }

    @Test func passthroughWithoutAKeyIsAnAuthenticationError() async throws {
        let upstream = try startUpstream { _, responder in responder.respond(.json(200, "{}")) }
        defer { upstream.stop() }
        let harness = try GatewayHarness(
            regions: [RegionConfig(name: "primary", baseURL: "http://\(upstream.address)")],
            auth: .passthrough)
        defer { harness.stop() }
        let result = await harness.post(body: Self.message)
        #expect(result.head?.status == 401)
        #expect(result.text.contains(#""type":"authentication_error""#))
    }

    @Test func relaysUpstreamErrorsUnchanged() async throws {
        let body = #"{"type":"error","error":{"type":"invalid_request_error","message":"max_tokens: must be positive"}}"#
        let upstream = try startUpstream { _, responder in
            responder.respond(.json(400, body, headers: ["request-id": "req_400"]))
        }
        defer { upstream.stop() }
        let harness = try GatewayHarness(regions: [RegionConfig(name: "primary", baseURL: "http://\(upstream.address)")])
        defer { harness.stop() }
        let result = await harness.post(body: Self.message)
        #expect(result.head?.status == 400)
        #expect(result.text == body)
        #expect(result.head?.headers["request-id"] == "req_400")
    }

    @Test func malformedJSONIsRejectedWithoutCallingUpstream() async throws {
        let calls = Atomic<Int>(0)
        let upstream = try startUpstream { _, responder in
            calls.add(1, ordering: .relaxed)
            responder.respond(.json(200, "{}"))
        }
        defer { upstream.stop() }
        let harness = try GatewayHarness(regions: [RegionConfig(name: "primary", baseURL: "http://\(upstream.address)")])
        defer { harness.stop() }
        for bad in [#"{"model": "x""#, "not json", #"{"a":1} trailing"#, "[1,2]", ""] {
            let result = await harness.post(body: bad)
            #expect(result.head?.status == 400, "body: \(bad)")
            #expect(result.text.hasPrefix(#"{"type":"error","error":{"type":"invalid_request_error""#))
        }
        #expect(calls.load(ordering: .relaxed) == 0)
    }

    @Test func oversizedBodyIsRequestTooLarge() async throws {
        let upstream = try startUpstream { _, responder in responder.respond(.json(200, "{}")) }
        defer { upstream.stop() }
        let harness = try GatewayHarness(
            regions: [RegionConfig(name: "primary", baseURL: "http://\(upstream.address)")],
            maxBodyBytes: 1000)
        defer { harness.stop() }
        let big = #"{"model":"m","pad":""# + String(repeating: "x", count: 5000) + #""}"#
        let result = await harness.post(body: big)
        #expect(result.head?.status == 413)
        #expect(result.text.contains(#""type":"request_too_large""#))
    }

    @Test func unknownPathOutsideV1IsNotFound() async throws {
        let upstream = try startUpstream { _, responder in responder.respond(.json(200, "{}")) }
        defer { upstream.stop() }
        let harness = try GatewayHarness(regions: [RegionConfig(name: "primary", baseURL: "http://\(upstream.address)")])
        defer { harness.stop() }
        let result = await harness.get(harness.baseURL + "/nope")
        #expect(result.head?.status == 404)
        #expect(result.text.contains("not_found_error"))
    }

    @Test func otherV1PathsPassThroughWithTheirQuery() async throws {
        let seen = Mutex<HTTPRequest?>(nil)
        let upstream = try startUpstream { request, responder in
            seen.withLock { $0 = request }
            responder.respond(.json(200, #"{"data":[]}"#))
        }
        defer { upstream.stop() }
        let harness = try GatewayHarness(regions: [RegionConfig(name: "primary", baseURL: "http://\(upstream.address)")])
        defer { harness.stop() }
        let result = await harness.get(harness.baseURL + "/v1/models?limit=5&after_id=a%20b")
        #expect(result.head?.status == 200)
        let request = try #require(seen.withLock { $0 })
        #expect(request.method == "GET")
        #expect(request.path == "/v1/models")
        #expect(request.queryValue("limit") == "5")
        #expect(request.queryValue("after_id") == "a b")
    }

    @Test func failedConnectionIsRetriedOnceOnAnotherRegion() async throws {
        let upstream = try startUpstream { _, responder in responder.respond(.json(200, #"{"ok":true}"#)) }
        defer { upstream.stop() }
        let harness = try GatewayHarness(regions: [
            RegionConfig(name: "primary", baseURL: "http://\(try deadAddress())", weight: 100),
            RegionConfig(name: "secondary", baseURL: "http://\(upstream.address)", weight: 0),
        ])
        defer { harness.stop() }
        let result = await harness.post(body: Self.message)
        #expect(result.head?.status == 200)
        #expect(result.head?.headers["x-ballast-region"] == "secondary")
        #expect(result.head?.headers["x-ballast-attempts"] == "2")
    }

    @Test func noReachableRegionIsOverloaded() async throws {
        let harness = try GatewayHarness(regions: [
            RegionConfig(name: "primary", baseURL: "http://\(try deadAddress())", weight: 100),
            RegionConfig(name: "secondary", baseURL: "http://\(try deadAddress())", weight: 0),
        ])
        defer { harness.stop() }
        let result = await harness.post(body: Self.message)
        #expect(result.head?.status == 529)
        #expect(result.text.contains(#""type":"overloaded_error""#))
        #expect(result.head?.headers["x-ballast-attempts"] == String(RetryConfig().maxAttempts))
    }

    @Test func upstreamTimeoutIsGatewayTimeout() async throws {
        let upstream = try startUpstream { _, _ in }  // never answers
        defer { upstream.stop(gracePeriod: 0) }
        let harness = try GatewayHarness(
            regions: [RegionConfig(name: "primary", baseURL: "http://\(upstream.address)")],
            timeouts: TimeoutsConfig(connect: .seconds(1), firstByte: .seconds(0.2), idle: .seconds(1), total: .seconds(5)))
        defer { harness.stop() }
        let result = await harness.post(body: Self.message)
        #expect(result.head?.status == 504)
        #expect(result.text.contains(#""type":"timeout_error""#))
    }

    @Test func weightsShareTraffic() async throws {
        let a = try startUpstream { _, responder in responder.respond(.json(200, "{}")) }
        let b = try startUpstream { _, responder in responder.respond(.json(200, "{}")) }
        defer {
            a.stop()
            b.stop()
        }
        let harness = try GatewayHarness(regions: [
            RegionConfig(name: "a", baseURL: "http://\(a.address)", weight: 75),
            RegionConfig(name: "b", baseURL: "http://\(b.address)", weight: 25),
        ])
        defer { harness.stop() }
        var counts: [String: Int] = [:]
        for _ in 0..<40 {
            let result = await harness.post(body: Self.message)
            counts[result.head?.headers["x-ballast-region"] ?? "?", default: 0] += 1
        }
        #expect(counts == ["a": 30, "b": 10])
    }
}
