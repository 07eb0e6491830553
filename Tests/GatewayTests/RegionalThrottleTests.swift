import BallastCore
import BallastTesting
import Foundation
import Gateway
import HTTPServer
import Testing
import Upstream

/// One region answering 429s without rate-limit headers is that region's trouble: requests
/// go to the other region of the limit group, and the group's allowance is not cut (before,
/// the shared AIMD rate collapsed and Ballast refused traffic the healthy region could serve).
@Suite struct RegionalThrottleTests {
    @Test func oneRegionsHeaderless429sDoNotThrottleTheOther() async throws {
        let throttled = try startUpstream { _, responder in
            var headers: HTTPHeaders = ["content-type": "application/json", "retry-after": "1"]
            headers.add("x-should-retry", "true")
            responder.respond(
                HTTPResponse(
                    status: 429, headers: headers,
                    text: #"{"type":"error","error":{"type":"rate_limit_error","message":"slow down"}}"#))
        }
        let healthy = try startUpstream { _, responder in
            responder.respond(.json(200, #"{"id":"msg_1","type":"message","usage":{"input_tokens":1,"output_tokens":1}}"#))
        }
        defer {
            throttled.stop()
            healthy.stop()
        }
        let harness = try GatewayHarness(
            yaml: """
                listen: 127.0.0.1:0
                admin: { listen: 127.0.0.1:0 }
                store: { path: ":memory:" }
                upstream:
                  auth: { mode: passthrough }
                  hedge: { enabled: false }
                  regions:
                    - { name: east, base_url: "http://\(throttled.address)", weight: 50 }
                    - { name: west, base_url: "http://\(healthy.address)", weight: 50 }
                """)
        defer { harness.stop() }
        let body = #"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#
        let headers: HTTPHeaders = ["content-type": "application/json", "x-api-key": "k"]
        var statuses: [Int: Int] = [:]
        for _ in 0..<8 {
            let results = await withTaskGroup(of: Int.self) { group in
                for _ in 0..<5 { group.addTask { await harness.post(body: body, headers: headers).head?.status ?? 0 } }
                return await group.reduce(into: [Int]()) { $0.append($1) }
            }
            for status in results { statuses[status, default: 0] += 1 }
        }
        #expect(statuses == [200: 40], "statuses \(statuses)")
        let metrics = await harness.get("http://\(harness.gateway.adminAddress)/metrics").text
        // The group's allowance stayed unlimited: nothing was paced (before: a collapsed AIMD
        // rate made these 40 requests wait some 24 s in all).
        #expect(!metrics.contains("ballast_rate_allowance_requests_per_second{"), "the group's allowance was cut")
        let regional =
            metrics.split(separator: "\n").first { $0.hasPrefix("ballast_rate_limit_regional_429s_total ") }
            .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) } ?? 0
        #expect(regional >= 10, "east's 429s were seen as its own: \(regional)")
    }
}
