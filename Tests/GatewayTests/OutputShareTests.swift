import BallastCore
import BallastTesting
import Foundation
import Gateway
import HTTPServer
import Testing
import Upstream

/// Pacing learns what share of `max_tokens` answers really use from each answer's usage, and
/// paces an output-token limit with it. A whole (non-streamed) answer is settled before it is
/// delivered, so its usage must be read by then: it was not, every such answer was settled as
/// 0 tokens, and an output limit went unpaced (one of the causes of 6.5-16 % upstream 429s in
/// the `capacity` bench).
@Suite struct OutputShareTests {
    @Test func aWholeAnswersUsageTeachesTheOutputShare() async throws {
        let upstream = try startUpstream { _, responder in
            var headers: HTTPHeaders = ["content-type": "application/json"]
            headers.add("anthropic-ratelimit-output-tokens-limit", "600000")
            headers.add("anthropic-ratelimit-output-tokens-remaining", "9000")
            headers.add("anthropic-ratelimit-output-tokens-reset", "2026-12-07T12:00:00Z")
            responder.respond(
                HTTPResponse(
                    status: 200, headers: headers,
                    text: #"{"id":"msg_1","type":"message","role":"assistant","content":[],"usage":{"input_tokens":3,"output_tokens":40}}"#
                ))
        }
        defer { upstream.stop() }
        let harness = try GatewayHarness(
            yaml: """
                listen: 127.0.0.1:0
                admin: { listen: 127.0.0.1:0 }
                store: { path: ":memory:" }
                upstream:
                  auth: { mode: passthrough }
                  hedge: { enabled: false }
                  regions:
                    - { name: east, base_url: "http://\(upstream.address)", weight: 100 }
                """)
        defer { harness.stop() }
        let body = #"{"model":"m","max_tokens":256,"messages":[{"role":"user","content":"hi"}]}"#
        let headers: HTTPHeaders = ["content-type": "application/json", "x-api-key": "k"]
        for _ in 0..<4 {
            #expect(await harness.post(body: body, headers: headers).head?.status == 200)
        }
        let metrics = await harness.get("http://\(harness.gateway.adminAddress)/metrics").text
        let share =
            metrics.split(separator: "\n").first { $0.hasPrefix("ballast_rate_output_share{") }
            .flatMap { $0.split(separator: " ").last }.flatMap { Double($0) }
        // 40 of 256 in every answer.
        #expect(share.map { abs($0 - 40.0 / 256) < 1e-6 } == true, "learned output share \(String(describing: share))")
    }
}
