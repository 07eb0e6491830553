import BallastConfig
import BallastCore
import BallastTesting
import Dispatch
import Foundation
import Gateway
import Synchronization
import Telemetry
import Testing
import Upstream
@testable import BallastSimulator

/// After an outage the circuit goes half-open, probe requests reach the drained region, and
/// the circuit closes once they succeed (rules with short times, for the test).
@Suite(.serialized) struct CircuitRecoveryTests {
    static let rules = """
        routing: { hold_down: 1s, failback_step: 50%, failback_interval: 500ms }
        groups:
          - name: test-failover
            interval: 100ms
            rules:
              - name: region-down
                when: consecutive_failures{class="local"}[5s] by (region) >= 3
                action: { circuit: open, target: { region: "$region" } }
                recover: { after: 1s, max_open: 2s, probe: { requests: 2, max_error_ratio: 0.5 } }
        """

    @Test func probesReachTheDrainedRegionAndCloseItsCircuit() async throws {
        let simulator = Simulator(
            config: try SimulatorConfig.parse(
                """
                regions:
                  - name: primary
                    listen: 127.0.0.1:0
                  - name: secondary
                    listen: 127.0.0.1:0
                """))
        try simulator.start()
        defer { simulator.stop() }
        let directory = try TemporaryDirectory("ballast-recovery")
        defer { directory.remove() }
        let rulesPath = try directory.write("failover.yaml", Self.rules)
        let database = directory.path("ballast.db")
        let harness = try GatewayHarness(
            yaml: """
                listen: 127.0.0.1:0
                admin: { listen: 127.0.0.1:0 }
                store: { path: "\(database)" }
                rules: { paths: ["\(rulesPath)"] }
                upstream:
                  auth: { mode: passthrough }
                  hedge: { enabled: false }
                  regions:
                    - { name: primary, base_url: "\(simulator.regions[0].baseURL)", weight: 100 }
                    - { name: secondary, base_url: "\(simulator.regions[1].baseURL)", weight: 0 }
                """)
        // The primary refuses connections from the load's start until its 60th answer (about
        // 2 s): timed by the load, not by the simulator's start, which a busy run's slow
        // gateway start-up could outlast. The change runs on a thread of its own: in a full
        // run Dispatch's shared threads were all blocked and a queued change never ran.
        let primary = simulator.regions[0]
        primary.setFaults(FaultSettings(refuseConnections: true))
        let answered = Atomic<Int>(0)
        var plan = LoadPlan(rate: 30, duration: 8, drainTimeout: 10, seed: 5) { _, _ in
            UpstreamRequest(
                url: harness.baseURL + "/v1/messages", headers: ["content-type": "application/json", "x-api-key": "k"],
                body: Array(#"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#.utf8))
        }
        plan.onComplete = { _ in
            if answered.add(1, ordering: .relaxed).newValue == 60 {
                Thread.detachNewThread { primary.setFaults(FaultSettings()) }
            }
        }
        let report = await LoadGenerator(client: harness.client).run(plan)
        harness.gateway.flushTelemetry()
        harness.stop()
        #expect(report.failed == 0)
        let store = try TelemetryStore(path: database)
        let actions =
            try store.scalar("SELECT group_concat(action, ',') FROM (SELECT action FROM audit WHERE kind = 'circuit_changed' ORDER BY time, id)") ?? ""
        #expect(actions.hasPrefix("open,half_open"), "circuit changes: \(actions)")
        #expect(actions.hasSuffix("closed"), "the circuit never closed: \(actions)")
        #expect(
            report.regions["primary", default: 0] > report.regions["secondary", default: 0] / 4,
            "traffic did not come back to the primary: \(report.regions)")
    }
}
