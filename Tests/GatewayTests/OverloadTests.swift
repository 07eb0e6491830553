import BallastConfig
import BallastCore
import BallastTesting
import Foundation
import Gateway
import Telemetry
import Testing
import Upstream

/// The shipped rules against a 529 wave: the primary answers 529 to 40% of its requests for a
/// few seconds. Retries on the standby hide it from the clients, yet the attempt-level rule
/// raises the degradation level within seconds; degraded answers say so; the level comes back
/// down once after the step-down (skipped with the injected clock), and the audit table says
/// why at each step.
@Suite(.serialized) struct OverloadTests {
    @Test func aWaveOf529sThatRetriesHideDegradesAndRecovers() async throws {
        let simulator = Simulator(config: try SimulatorConfig.parse("""
            seed: 11
            regions:
              - name: primary
                listen: 127.0.0.1:0
                latency: { first_byte: { median: 20ms, spread: 0.2 } }
              - name: secondary
                listen: 127.0.0.1:0
                latency: { first_byte: { median: 20ms, spread: 0.2 } }
            """))
        try simulator.start()
        defer { simulator.stop() }
        let directory = try TemporaryDirectory("ballast-overload")
        defer { directory.remove() }
        let database = directory.path("ballast.db")
        let clock = JumpClock()
        let harness = try GatewayHarness(shippedRulesFor: simulator, database: database,
                                         upstream: ["timeouts: { connect: 1s, first_byte: 10s, idle: 10s, total: 30s }"], clock: clock)
        let headers: HTTPHeaders = ["content-type": "application/json", "x-api-key": "k"]
        let metricsURL = "http://\(harness.gateway.adminAddress)/metrics"

        // Load through the wave; meanwhile wait for the level to rise and send one request
        // that level 1 changes (its max_tokens is above the ladder's cap). The wave is set
        // from here, 2 s into the load and for 10 s, rather than by the simulator's schedule:
        // on a busy machine the gateway's start-up can eat into a schedule timed from the
        // simulator's start.
        let primary = simulator.regions[0]
        let wave = Task {
            try? await Task.sleep(for: .seconds(2))
            primary.setFaults(FaultSettings(errorRatios: [529: 0.4]))
            try? await Task.sleep(for: .seconds(10))
            primary.setFaults(FaultSettings())
        }
        let load = Task {
            await LoadGenerator(client: harness.client).run(LoadPlan(rate: 40, duration: 13, drainTimeout: 20, seed: 3) { _, _ in
                UpstreamRequest(url: harness.baseURL + "/v1/messages", headers: headers,
                                body: Array(#"{"model":"claude-sonnet-4-6","max_tokens":32,"messages":[{"role":"user","content":"hi"}]}"#.utf8))
            })
        }
        var degraded = false
        for _ in 0..<120 where !degraded {
            degraded = await harness.get(metricsURL).text.contains("ballast_degradation_level 1")
            if !degraded { try await Task.sleep(for: .milliseconds(100)) }
        }
        #expect(degraded, "the degradation level did not rise during the wave")
        let capped = await harness.post(body: #"{"model":"claude-sonnet-4-6","max_tokens":4096,"messages":[{"role":"user","content":"hi"}]}"#,
                                        headers: headers)
        #expect(capped.head?.status == 200)
        #expect(capped.head?.headers["x-ballast-degraded"] == "level=1; max_tokens=2048")
        let report = await load.value
        await wave.value
        #expect(report.failed == 0, "client-visible errors: \(report.failedByStatus), \(report.transportFailures)")
        #expect(report.regions["secondary", default: 0] > 20, "the retries did not reach the standby: \(report.regions)")
        #expect(await eventually { harness.gateway.inFlightRequests == 0 })

        // After the wave: 40 healthy seconds, at 40 requests a second, each second's requests
        // sent at once and the clock jumped a second (so the windows fill with healthy traffic
        // as they would in real time). The rule resolves within seconds; the level stays for
        // its 30 s step-down, then drops to 0.
        var levels: [String] = []
        for _ in 0..<40 {
            clock.jump(seconds: 1)
            await withTaskGroup(of: Void.self) { group in
                for _ in 0..<40 {
                    group.addTask {
                        _ = await harness.post(body: #"{"model":"claude-sonnet-4-6","max_tokens":32,"messages":[{"role":"user","content":"hi"}]}"#,
                                               headers: headers)
                    }
                }
            }
            harness.gateway.evaluateRules()
            let text = await harness.get(metricsURL).text
            levels.append(text.contains("ballast_degradation_level 1") ? "1" : text.contains("ballast_degradation_level 0") ? "0" : "?")
        }
        #expect(levels.first == "1" && levels.last == "0", "levels after the wave: \(levels)")
        #expect(levels.joined().contains("10") && !levels.joined().contains("01"), "the level flapped: \(levels)")
        harness.gateway.flushTelemetry()
        harness.stop()

        let store = try TelemetryStore(path: database)
        func column(_ sql: String) throws -> String { try store.scalar("SELECT group_concat(x, '|') FROM (\(sql))") ?? "" }
        #expect(try column("SELECT action AS x FROM audit WHERE kind = 'degradation_changed' ORDER BY time, id") == "level=1|level=0",
                "the level changed once up and once down, without flapping")
        #expect(try column("SELECT actor AS x FROM audit WHERE kind = 'degradation_changed' ORDER BY time, id LIMIT 1")
            == "rule:upstream-strained")
        let fired = try column("SELECT reason AS x FROM audit WHERE kind = 'rule_fired' AND target = 'degradation'")
        #expect(fired.contains(#"level="attempt""#), "the audit should quote the expression and its values: \(fired)")
        #expect(try column("SELECT kind || ' ' || action AS x FROM audit WHERE kind IN ('circuit_changed', 'route_shifted')") == "",
                "the primary stays in service: a 529 wave is not an outage")
    }
}
