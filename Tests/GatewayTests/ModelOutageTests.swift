import BallastConfig
import BallastCore
import BallastTesting
import Foundation
import Gateway
import HTTPServer
import Synchronization
import Testing
import Upstream

/// One model fails in every region: its circuit opens (a rule with short windows, for the
/// test), its requests go to its fallback model, and the other models are untouched.
@Suite(.serialized) struct ModelOutageTests {
    static let rules = """
        degradation:
          fallback:
            "claude-opus-*": claude-haiku-4-5
        groups:
          - name: test-model-outage
            interval: 100ms
            rules:
              - name: model-failing-everywhere
                when: min by (model) (error_ratio{class="upstream|local"}[10s] by (region, model)) > 0.5 and request_count[10s] by (model) >= 4
                action: { circuit: open, target: { model: "$model" }, mode: fallback }
                recover: { after: 1m, probe: { requests: 2, max_error_ratio: 0.5 } }
        """

    @Test func aFailingModelFallsBackAndTheOthersAreUntouched() async throws {
        let received = Mutex<[String]>([])
        let handler: @Sendable (HTTPRequest, HTTPResponder) -> Void = { request, responder in
            let body = String(decoding: request.body, as: UTF8.self)
            received.withLock { $0.append(body) }
            if body.contains("claude-opus-4-7") {
                responder.respond(.json(529, #"{"type":"error","error":{"type":"overloaded_error","message":"opus is down"}}"#))
            } else {
                responder.respond(.json(200, #"{"id":"msg_1","type":"message","usage":{"input_tokens":1,"output_tokens":1}}"#))
            }
        }
        let east = try startUpstream(handler)
        let west = try startUpstream(handler)
        defer { east.stop(); west.stop() }
        let directory = try TemporaryDirectory("ballast-model")
        defer { directory.remove() }
        let rulesPath = try directory.write("model.yaml", Self.rules)
        let harness = try GatewayHarness(yaml: """
            listen: 127.0.0.1:0
            admin: { listen: 127.0.0.1:0 }
            store: { path: ":memory:" }
            rules: { paths: ["\(rulesPath)"] }
            upstream:
              auth: { mode: passthrough }
              hedge: { enabled: false }
              retry: { max_attempts: 2 }
              regions:
                - { name: east, base_url: "http://\(east.address)", weight: 50 }
                - { name: west, base_url: "http://\(west.address)", weight: 50 }
            """)
        defer { harness.stop() }
        let headers: HTTPHeaders = ["content-type": "application/json", "x-api-key": "k"]
        let opus = #"{"model":"claude-opus-4-7","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}"#
        let sonnet = #"{"model":"claude-sonnet-4-6","max_tokens":50,"messages":[{"role":"user","content":"hi"}]}"#

        // Opus fails in both regions until its circuit opens.
        var recovered = false
        for _ in 0..<100 where !recovered {
            let result = await harness.post(body: opus, headers: headers)
            recovered = result.head?.status == 200
            if !recovered { try await Task.sleep(for: .milliseconds(50)) }
        }
        #expect(recovered, "opus requests never fell back")
        let fellBack = await harness.post(body: opus, headers: headers)
        #expect(fellBack.head?.status == 200)
        #expect(fellBack.head?.headers["x-ballast-degraded"] == "circuit; model=claude-haiku-4-5")
        #expect(received.withLock { $0.last }?.contains(#""model":"claude-haiku-4-5""#) == true)

        // The other models go as they are.
        let other = await harness.post(body: sonnet, headers: headers)
        #expect(other.head?.status == 200)
        #expect(other.head?.headers["x-ballast-degraded"] == nil)
        #expect(received.withLock { $0.last }?.contains(#""model":"claude-sonnet-4-6""#) == true)
    }
}
