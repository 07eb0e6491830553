import BallastConfig
import BallastCore
import BallastTesting
import Foundation
import Gateway
import Telemetry
import Testing
import Upstream

/// The shipped rules against a regional outage: the primary refuses connections for a few
/// seconds; its circuit opens on the first failures, traffic moves to the secondary, the
/// client sees no errors, and every change is in the audit table.
@Suite(.serialized) struct RegionOutageTests {
    @Test func theShippedRulesOpenTheCircuitAndReroute() async throws {
        let simulator = Simulator(config: try SimulatorConfig.parse("""
            seed: 9
            regions:
              - name: primary
                listen: 127.0.0.1:0
                latency: { first_byte: { median: 20ms, spread: 0.2 } }
                schedule:
                  - { at: 2s, for: 4s, faults: { refuse_connections: true } }
              - name: secondary
                listen: 127.0.0.1:0
                latency: { first_byte: { median: 20ms, spread: 0.2 } }
            """))
        try simulator.start()
        defer { simulator.stop() }
        let directory = try TemporaryDirectory("ballast-outage")
        defer { directory.remove() }
        let database = directory.path("ballast.db")
        let harness = try GatewayHarness(shippedRulesFor: simulator, database: database,
                                         upstream: ["timeouts: { connect: 1s, first_byte: 10s, idle: 10s, total: 30s }"])
        let report = await LoadGenerator(client: harness.client).run(LoadPlan(rate: 40, duration: 8, drainTimeout: 20, seed: 3) { _, _ in
            UpstreamRequest(url: harness.baseURL + "/v1/messages", headers: ["content-type": "application/json", "x-api-key": "k"],
                            body: Array(#"{"model":"claude-sonnet-4-6","max_tokens":32,"messages":[{"role":"user","content":"hi"}]}"#.utf8))
        })
        let metrics = await harness.get("http://\(harness.gateway.adminAddress)/metrics").text
        harness.gateway.flushTelemetry()
        harness.stop()

        #expect(report.failed <= 1, "client-visible errors during the outage: \(report.failedByStatus), \(report.transportFailures)")
        #expect(report.regions["secondary", default: 0] > 20, "traffic did not move: \(report.regions)")
        #expect(metrics.contains(#"ballast_circuit_state{target="region=primary",state="open"}"#)
                || metrics.contains(#"ballast_circuit_state{target="region=primary",state="half_open"}"#))
        let store = try TelemetryStore(path: database)
        let opened = try store.scalar("SELECT count(*) FROM audit WHERE kind = 'circuit_changed' AND target LIKE '%primary%' AND action LIKE '%open%'")
        #expect(Int(opened ?? "0")! >= 1, "no circuit change in the audit table")
        let actor = try store.scalar("SELECT actor FROM audit WHERE kind = 'circuit_changed' ORDER BY time LIMIT 1") ?? ""
        let reason = try store.scalar("SELECT reason FROM audit WHERE kind = 'circuit_changed' ORDER BY time LIMIT 1") ?? ""
        // Refused connections are failed answers too: region-down and region-failing both see
        // them within the same second, and whichever the evaluation reaches first opens it.
        #expect(actor.contains("region-down") || actor.contains("region-failing"), "the audit should name the rule: \(actor)")
        #expect(reason.contains("consecutive_failures"), "the audit should give the expression and its values: \(reason)")
    }
}
