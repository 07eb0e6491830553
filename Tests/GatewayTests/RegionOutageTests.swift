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

/// The shipped rules against a regional outage: the primary refuses connections for a few
/// seconds; its circuit opens on the first failures (its `open` line on /metrics reads 1),
/// traffic moves to the secondary, the client sees no errors, the circuit closes again once
/// the primary answers (`closed` reads 1), and every change is in the audit table.
@Suite(.serialized) struct RegionOutageTests {
    @Test func theShippedRulesOpenTheCircuitAndReroute() async throws {
        let simulator = Simulator(
            config: try SimulatorConfig.parse(
                """
                seed: 9
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
        let directory = try TemporaryDirectory("ballast-outage")
        defer { directory.remove() }
        let database = directory.path("ballast.db")
        let harness = try GatewayHarness(
            shippedRulesFor: simulator, database: database,
            upstream: ["timeouts: { connect: 1s, first_byte: 10s, idle: 10s, total: 30s }"])
        let request = UpstreamRequest(
            url: harness.baseURL + "/v1/messages", headers: ["content-type": "application/json", "x-api-key": "k"],
            body: Array(#"{"model":"claude-sonnet-4-6","max_tokens":32,"messages":[{"role":"user","content":"hi"}]}"#.utf8))
        let watch = CircuitWatch(admin: harness.gateway.adminAddress, target: "region=primary")
        // The outage is timed by the load's progress, not by the clock: from the 80th answer
        // (about 2 s in) to the 240th (about 6 s). A schedule from the simulator's start could
        // pass entirely while a full parallel run was still starting the gateway and the load.
        // Each change runs on a thread of its own (Dispatch's shared threads can all be blocked
        // in a full run).
        let primary = simulator.regions[0]
        let answered = Atomic<Int>(0)
        var plan = LoadPlan(rate: 40, duration: 8, drainTimeout: 20, seed: 3) { _, _ in request }
        plan.onComplete = { _ in
            let count = answered.add(1, ordering: .relaxed).newValue
            if count == 80 { Thread.detachNewThread { primary.setFaults(FaultSettings(refuseConnections: true)) } }
            if count == 240 { Thread.detachNewThread { primary.setFaults(FaultSettings()) } }
        }
        let report = await LoadGenerator(client: harness.client).run(plan)
        primary.setFaults(FaultSettings())
        // While the primary refused connections, its circuit was open: the `open` line read 1
        // and `closed` 0 (open for 2 s, then 4 s more after failed probes).
        let seenOpen = watch.stop()
        #expect(
            seenOpen?["open"] == 1 && seenOpen?["closed"] == 0,
            "the primary's circuit never showed open = 1 during the outage; last seen: \(watch.last)")

        // After the outage its probes succeed and it closes again: requests one at a time
        // (each may be a probe) until `closed` is 1, bounded.
        var closedAgain: [String: Double] = [:]
        let closeDeadline = SystemClock().now().adding(seconds: 60)
        while SystemClock().now() < closeDeadline {
            closedAgain = CircuitWatch.states(await harness.get("http://\(harness.gateway.adminAddress)/metrics").text, target: "region=primary")
            if closedAgain["closed"] == 1 { break }
            _ = await harness.post(
                body: String(decoding: request.body, as: UTF8.self),
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

/// Samples one circuit's lines on /metrics every 10 ms from its own thread (a full parallel
/// run keeps the cooperative pool busy; a sampler there can miss a state lasting seconds)
/// until it sees the circuit open or is stopped.
final class CircuitWatch: Sendable {
    private let found = Mutex<[String: Double]?>(nil)
    private let latest = Mutex<[String: Double]>([:])
    private let running = Atomic<Bool>(true)
    private let finished = DispatchSemaphore(value: 0)

    init(admin: String, target: String) {
        let thread = Thread { [self] in
            let get = Array("GET /metrics HTTP/1.1\r\nHost: \(admin)\r\nConnection: close\r\n\r\n".utf8)
            while running.load(ordering: .relaxed) {
                let states = Self.states(RawClient.run(admin, parts: [get], deadline: 5).text, target: target)
                latest.withLock { $0 = states }
                if states["open"] == 1 && states["closed"] == 0 {
                    found.withLock { $0 = states }
                    break
                }
                usleep(10_000)
            }
            finished.signal()
        }
        thread.start()
    }

    /// Stops sampling; the first sample that showed the circuit open, if any.
    func stop() -> [String: Double]? {
        running.store(false, ordering: .relaxed)
        finished.wait()
        return found.withLock { $0 }
    }

    var last: [String: Double] { latest.withLock { $0 } }

    /// The value of `target`'s line for each state. Every state has a line once the circuit
    /// exists (1 for the current state, 0 for the others), so a line's presence says nothing.
    static func states(_ metrics: String, target: String) -> [String: Double] {
        let prefix = #"ballast_circuit_state{target="\#(target)",state=""#
        var states: [String: Double] = [:]
        for line in metrics.split(separator: "\n") where line.hasPrefix(prefix) {
            let rest = line.dropFirst(prefix.count)
            guard let quote = rest.firstIndex(of: "\""), let value = Double(rest.split(separator: " ").last ?? "") else { continue }
            states[String(rest[..<quote])] = value
        }
        return states
    }
}
