import BallastConfig
import BallastCore
import BallastTesting
import Foundation
import Gateway
import HTTPServer
import Synchronization
import Testing
import Upstream

/// The degradation ladder applied to real requests: a rule (with short windows, for the
/// test) raises the level when the upstream keeps failing; requests are then rewritten or
/// shed, and every degraded answer says so in `x-ballast-degraded`.
@Suite(.serialized) struct DegradationTests {
    static let rules = """
        degradation:
          levels:
            - { description: shorter answers, max_tokens: 100 }
            - { description: cheaper models, fallback: true }
            - { description: shed low priority, shed: { priority: [low], status: 529, retry_after: 7s } }
          fallback:
            "claude-opus-*": claude-haiku-4-5
        groups:
          - name: test-degradation
            interval: 100ms
            rules:
              - name: failing
                when: error_ratio{class="upstream|local"}[10s] > 0.5 and request_count[10s] >= 5
                action: { degrade: 3 }
                recover: { after: 1m }
        """

    @Test func aFailingUpstreamDegradesRequests() async throws {
        let seen = Mutex<[String]>([])
        let overloaded = Atomic<Bool>(true)
        let upstream = try startUpstream { request, responder in
            seen.withLock { $0.append(String(decoding: request.body, as: UTF8.self)) }
            if overloaded.load(ordering: .relaxed) {
                responder.respond(.json(529, #"{"type":"error","error":{"type":"overloaded_error","message":"busy"}}"#))
            } else {
                responder.respond(.json(200, #"{"id":"msg_1","type":"message","usage":{"input_tokens":1,"output_tokens":1}}"#))
            }
        }
        defer { upstream.stop() }
        let directory = try TemporaryDirectory("ballast-degrade")
        defer { directory.remove() }
        let rulesPath = try directory.write("degrade.yaml", Self.rules)
        // Virtual time: the rule's 10 s window must hold all six failures however slowly a
        // loaded machine serves them (in a full CI run they once took more than 10 s of wall time,
        // the window slid past the first ones and the rule never fired).
        let clock = ManualClock()
        let harness = try GatewayHarness(
            yaml: """
                listen: 127.0.0.1:0
                admin: { listen: 127.0.0.1:0 }
                store: { path: ":memory:" }
                rules: { paths: ["\(rulesPath)"] }
                upstream:
                  auth: { mode: passthrough }
                  hedge: { enabled: false }
                  retry: { max_attempts: 1 }
                  regions:
                    - { name: primary, base_url: "http://\(upstream.address)", weight: 100 }
                """, clock: clock)
        defer { harness.stop() }
        let headers: HTTPHeaders = ["content-type": "application/json", "x-api-key": "k"]
        let body = #"{"model":"claude-opus-4-7","max_tokens":500,"messages":[{"role":"user","content":"hi"}]}"#

        // The upstream is overloaded: the rule fires and raises the level.
        for _ in 0..<6 {
            let result = await harness.post(body: body, headers: headers)
            #expect(result.head?.status == 529)
        }
        let metricsURL = "http://\(harness.gateway.adminAddress)/metrics"
        var degraded = false
        // The last outcome may be recorded just after its answer reached the client: evaluate
        // until it is counted. Each step moves time by the group's interval (so the group is due)
        // and no more: fifty steps (5 s) stay inside the 10 s window.
        for _ in 0..<50 where !degraded {
            clock.advance(seconds: 0.1)
            harness.gateway.evaluateRules()
            degraded = await harness.get(metricsURL).text.contains("ballast_degradation_level 3")
            if !degraded { try await Task.sleep(for: .milliseconds(20)) }
        }
        #expect(degraded, "the degradation level did not rise")

        // Degraded: the request is rewritten (max_tokens capped, model fallen back) and says so.
        overloaded.store(false, ordering: .relaxed)
        let rewritten = await harness.post(body: body, headers: headers)
        #expect(rewritten.head?.status == 200)
        #expect(rewritten.head?.headers["x-ballast-degraded"] == "level=3; max_tokens=100; model=claude-haiku-4-5")
        let sent = try #require(seen.withLock { $0.last })
        #expect(sent.contains(#""max_tokens":100"#))
        #expect(sent.contains(#""model":"claude-haiku-4-5""#))

        // Low-priority requests are shed with a 529 and a retry-after, without an upstream call.
        let before = seen.withLock { $0.count }
        var low = headers
        low.add("x-ballast-priority", "low")
        let shed = await harness.post(body: body, headers: low)
        #expect(shed.head?.status == 529)
        #expect(shed.head?.headers["retry-after"] == "7")
        #expect(shed.head?.headers["x-ballast-degraded"] == "level=3; shed")
        #expect(shed.text.contains("overloaded_error"))
        #expect(seen.withLock { $0.count } == before)
    }
}
