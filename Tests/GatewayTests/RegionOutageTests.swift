import BallastConfig
import BallastCore
import BallastTesting
import Foundation
import Gateway
import Telemetry
import Testing
import Upstream

/// The shipped rules against a regional outage: the primary refuses connections for a few
/// seconds; its circuit opens on the first failures (its `open` line on /metrics reads 1),
/// traffic moves to the secondary, the client sees no errors, the circuit closes again once
/// the primary answers (`closed` reads 1), and every change is in the audit table.
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
        let request = UpstreamRequest(url: harness.baseURL + "/v1/messages", headers: ["content-type": "application/json", "x-api-key": "k"],
                                      body: Array(#"{"model":"claude-sonnet-4-6","max_tokens":32,"messages":[{"role":"user","content":"hi"}]}"#.utf8))
        let metricsURL = "http://\(harness.gateway.adminAddress)/metrics"
        // The value of the primary's line for each state (every state has a line once the
        // circuit exists, 1 for the current one, 0 for the others: a line's presence says nothing).
        func primaryCircuit() async -> [String: Double] {
            let prefix = #"ballast_circuit_state{target="region=primary",state=""#
            var states: [String: Double] = [:]
            for line in await harness.get(metricsURL).text.split(separator: "\n") where line.hasPrefix(prefix) {
                let rest = line.dropFirst(prefix.count)
                guard let quote = rest.firstIndex(of: "\""), let value = Double(rest.split(separator: " ").last ?? "") else { continue }
                states[String(rest[..<quote])] = value
            }
            return states
        }

        let load = Task { [client = harness.client] in
            await LoadGenerator(client: client).run(LoadPlan(rate: 40, duration: 8, drainTimeout: 20, seed: 3) { _, _ in request })
        }
        // While the primary refuses connections (2 s to 6 s), its circuit is open: the `open`
        // line's value is 1. Polled during the load, bounded by the load's own length.
        var seenOpen = false, lastSeen: [String: Double] = [:]
        let openDeadline = SystemClock().now().adding(seconds: 30)
        while !seenOpen, SystemClock().now() < openDeadline {
            lastSeen = await primaryCircuit()
            seenOpen = lastSeen["open"] == 1 && lastSeen["closed"] == 0
            if !seenOpen { try await Task.sleep(for: .milliseconds(20)) }
        }
        let report = await load.value
        #expect(seenOpen, "the primary's circuit never showed open = 1 during the outage: \(lastSeen)")

        // After the outage its probes succeed and it closes again: requests one at a time
        // (each may be a probe) until `closed` is 1, bounded (opened for 2 s, then 4 s after
        // failed probes: closed well within 30 s).
        var closedAgain: [String: Double] = [:]
        let closeDeadline = SystemClock().now().adding(seconds: 30)
        while SystemClock().now() < closeDeadline {
            closedAgain = await primaryCircuit()
            if closedAgain["closed"] == 1 { break }
            _ = await harness.post(body: String(decoding: request.body, as: UTF8.self),
                                   headers: ["content-type": "application/json", "x-api-key": "k"])
        }
        #expect(closedAgain == ["closed": 1, "open": 0, "half_open": 0], "the primary's circuit did not close after the outage")
        harness.gateway.flushTelemetry()
        harness.stop()

        #expect(report.failed <= 1, "client-visible errors during the outage: \(report.failedByStatus), \(report.transportFailures)")
        #expect(report.regions["secondary", default: 0] > 20, "traffic did not move: \(report.regions)")
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
