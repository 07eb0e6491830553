import BallastConfig
import BallastCore
import BallastTesting
import Foundation
import Gateway
import HTTPServer
import Synchronization
import Telemetry
import Testing
import Upstream
@testable import BallastSimulator

/// One model fails in every region: its circuit opens, its requests go to its fallback model,
/// and the other models are untouched; with rules with short windows, and with the shipped
/// rules (their 15 s `for:` skipped with the injected clock).
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
        defer {
            east.stop()
            west.stop()
        }
        let directory = try TemporaryDirectory("ballast-model")
        defer { directory.remove() }
        let rulesPath = try directory.write("model.yaml", Self.rules)
        let harness = try GatewayHarness(
            yaml: """
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

    @Test func withTheShippedRulesTheFailingModelFallsBackAndNothingElseChanges() async throws {
        let simulator = Simulator(
            config: try SimulatorConfig.parse(
                """
                seed: 5
                regions:
                  - name: primary
                    listen: 127.0.0.1:0
                    schedule:
                      - { at: 0s, models: ["claude-opus-*"], faults: { error_ratio: { "529": 1 } } }
                  - name: secondary
                    listen: 127.0.0.1:0
                    schedule:
                      - { at: 0s, models: ["claude-opus-*"], faults: { error_ratio: { "529": 1 } } }
                """))
        try simulator.start()
        defer { simulator.stop() }
        let directory = try TemporaryDirectory("ballast-model-shipped")
        defer { directory.remove() }
        let database = directory.path("ballast.db")
        let clock = JumpClock()
        let harness = try GatewayHarness(
            shippedRulesFor: simulator, database: database,
            upstream: ["hedge: { enabled: false }", "retry: { max_attempts: 2 }"], clock: clock)
        let headers: HTTPHeaders = ["content-type": "application/json", "x-api-key": "k"]
        let opus = #"{"model":"claude-opus-4-1","max_tokens":4096,"messages":[{"role":"user","content":"hi"}]}"#
        let sonnet = #"{"model":"claude-sonnet-4-6","max_tokens":4096,"messages":[{"role":"user","content":"hi"}]}"#

        // Opus fails everywhere (both regions tried), sonnet is served: 12 of each.
        for _ in 0..<12 {
            let failed = await harness.post(body: opus, headers: headers)
            #expect(failed.head?.status == 529)
            let served = await harness.post(body: sonnet, headers: headers)
            #expect(served.head?.status == 200)
            #expect(served.head?.headers["x-ballast-degraded"] == nil)
        }
        // A second later (the telemetry counts whole seconds) model-failing-everywhere is
        // pending; its `for: 15s` passes in one jump (its 30 s windows still hold the failures).
        harness.gateway.flushTelemetry()
        clock.jump(seconds: 1)
        harness.gateway.evaluateRules()
        clock.jump(seconds: 15)
        harness.gateway.evaluateRules()

        let fellBack = await harness.post(body: opus, headers: headers)
        #expect(fellBack.head?.status == 200)
        #expect(fellBack.head?.headers["x-ballast-degraded"] == "circuit; model=claude-sonnet-4-5")
        let other = await harness.post(body: sonnet, headers: headers)
        #expect(other.head?.status == 200)
        #expect(other.head?.headers["x-ballast-degraded"] == nil, "the other models are untouched")
        let metrics = await harness.get("http://\(harness.gateway.adminAddress)/metrics").text
        #expect(metrics.contains("ballast_degradation_level 0"))
        #expect(metrics.contains(#"ballast_circuit_state{target="model=claude-opus-4-1",state="open"} 1"#))
        harness.gateway.flushTelemetry()
        harness.stop()

        let store = try TelemetryStore(path: database)
        let opened = try store.scalar("SELECT actor FROM audit WHERE kind = 'circuit_changed' AND target = 'model=claude-opus-4-1' AND action = 'open'")
        #expect(opened == "rule:model-failing-everywhere")
        #expect(try store.scalar("SELECT count(*) FROM audit WHERE kind = 'degradation_changed'") == "0")
        let everything = try store.scalar("SELECT group_concat(kind || ' ' || target || ' ' || action, '; ') FROM audit") ?? ""
        #expect(
            try store.scalar("SELECT count(*) FROM audit WHERE target LIKE '%sonnet%' OR kind = 'route_shifted'") == "0",
            "nothing else changed: \(everything)")
    }
}
