import BallastTesting
import Foundation
import Upstream

/// Ballast with the shipped rules in front of a primary region and a standby (weight 0):
/// a regional outage (connections refused) and a 529 overload, each on the simulator's fault
/// schedule, with how fast the rules reacted read back from Ballast's audit log.
struct SelfHealingScenario: BenchScenario {
    let name = "self_healing"
    static let rate = 40.0
    /// The shipped `recovery.yaml` hold-down, for the failback target.
    static let holdDown = 30.0

    /// Fault times in seconds after the simulator start.
    struct Fault: Sendable {
        var start: Double
        var duration: Double
        var total: Double
        var end: Double { start + duration }
    }

    static func simulatorYAML(fault: Fault, faults: String) -> String {
        """
        seed: 7
        regions:
          - name: primary
            listen: 127.0.0.1:0
            latency: { first_byte: { median: 20ms }, token_interval: 0ms }
            output: { min_tokens: 12, max_tokens: 12 }
            schedule:
              - { at: \(fault.start), for: \(fault.duration), faults: \(faults) }
          - name: secondary
            listen: 127.0.0.1:0
            latency: { first_byte: { median: 20ms }, token_interval: 0ms }
            output: { min_tokens: 12, max_tokens: 12 }
        """
    }

    /// The shipped rules from `<repo>/rules`, as `ballast demo` finds them.
    static var rulesGlob: String { FileManager.default.currentDirectoryPath + "/rules/*.yaml" }

    static func ballastYAML(primary: String, secondary: String, store: String) -> String {
        """
        listen: 127.0.0.1:0
        admin: { listen: 127.0.0.1:0 }
        store: { path: "\(store)" }
        server: { drain_timeout: 2s }
        rules: { paths: ["\(rulesGlob)"] }
        upstream:
          auth: { mode: passthrough }
          timeouts: { connect: 1s, first_byte: 20s, idle: 10s, total: 60s }
          regions:
            - { name: primary, base_url: "\(primary)", weight: 100 }
            - { name: secondary, base_url: "\(secondary)", weight: 0 }
        """
    }

    func run(_ context: BenchContext) async throws -> BenchSection {
        guard FileManager.default.fileExists(atPath: FileManager.default.currentDirectoryPath + "/rules") else {
            throw BenchError.processFailed("self_healing needs the shipped rules in ./rules (run it from the repository)")
        }
        let client = context.makeLoadClient()
        defer { client.shutdown() }
        var tables: [BenchTable] = []
        var figures: [String: Double] = [:]
        var checks: [TargetCheck] = []

        // 1. Regional outage: primary refuses connections.
        let outage = Fault(start: context.seconds(10), duration: context.seconds(15), total: context.seconds(40))
        let outageYAML = Self.simulatorYAML(fault: outage, faults: "{ refuse_connections: true }")
        let protected = try await runFault(label: "region_outage", yaml: outageYAML, fault: outage, viaBallast: true,
                                           context: context, client: client)
        let direct = try await runFault(label: "region_outage direct", yaml: outageYAML, fault: outage, viaBallast: false,
                                        context: context, client: client)
        let audit = try AuditTimeline(path: protected.storePath!, origin: protected.simulatorStart)
        for line in try audit.lines() { context.log("region_outage audit: \(line)") }
        let reroute = try audit.first(AuditTimeline.regionChanges("primary"), from: outage.start).map { $0 - outage.start }
        let failback = try audit.first("kind = 'route_shifted' AND target = 'region=primary' AND action = 'weight=100'",
                                       from: outage.start).map { $0 - outage.end }
        let changes = try audit.count(AuditTimeline.regionChanges("primary"))
        let flaps = try audit.count(AuditTimeline.reopenedAfterClosing("primary"))
        tables.append(BenchTable(
            columns: ["region_outage (\(BenchFormat.rate(outage.duration)) s refused of \(BenchFormat.rate(outage.total)) s)",
                      "requests", "in outage", "errors in outage", "share", "by status", "reroute after fault", "failback after recovery",
                      "primary state changes", "flaps"],
            rows: [
                ["direct to primary (unprotected)", "\(direct.total.started)", "\(direct.startedInFault)", "\(direct.failedInFault)",
                 BenchFormat.percent(direct.faultErrorShare), direct.statusText, "-", "-", "-", "-"],
                ["through Ballast (shipped rules)", "\(protected.total.started)", "\(protected.startedInFault)",
                 "\(protected.failedInFault)", BenchFormat.percent(protected.faultErrorShare), protected.statusText,
                 reroute.map { "\(BenchFormat.ms($0 * 1000)) ms" } ?? "none",
                 failback.map { String(format: "%.1f s", $0) } ?? "not within the run", "\(changes)", "\(flaps)"],
            ]))
        figures["outage_direct_error_share"] = direct.faultErrorShare
        figures["outage_error_share"] = protected.faultErrorShare
        figures["outage_errors"] = Double(protected.failedInFault)
        if let reroute { figures["outage_reroute_s"] = reroute }
        if let failback { figures["outage_failback_s"] = failback }
        figures["outage_primary_flaps"] = Double(flaps)
        checks.append(TargetCheck(target: "region_outage: reroute within 1 s of the first failures",
                                  measured: reroute.map { String(format: "%.2f s", $0) } ?? "no reroute",
                                  met: reroute.map { $0 <= 1 } ?? false))
        checks.append(.atMost("region_outage: client-visible errors <= 0.1% during the outage", protected.faultErrorShare, 0.001))
        checks.append(TargetCheck(target: "region_outage: failback within hold-down + 10 s (\(BenchFormat.rate(Self.holdDown + 10)) s)",
                                  measured: failback.map { String(format: "%.1f s", $0) }
                                    ?? "not within the run (\(BenchFormat.rate(outage.total - outage.end)) s after recovery)",
                                  met: failback.map { $0 <= Self.holdDown + 10 }
                                    ?? (outage.total - outage.end >= Self.holdDown + 10 ? false : nil)))
        checks.append(TargetCheck(target: "region_outage: zero flaps", measured: "\(flaps)", met: flaps == 0))

        // 2. Overload: primary answers 529 to 40% of requests.
        let overload = Fault(start: context.seconds(10), duration: context.seconds(20), total: context.seconds(40))
        let overloadYAML = Self.simulatorYAML(fault: overload, faults: #"{ error_ratio: { "529": 0.4 } }"#)
        let loaded = try await runFault(label: "overload_529", yaml: overloadYAML, fault: overload, viaBallast: true,
                                        context: context, client: client)
        let overloadAudit = try AuditTimeline(path: loaded.storePath!, origin: loaded.simulatorStart)
        for line in try overloadAudit.lines() { context.log("overload_529 audit: \(line)") }
        let levelChanges = try overloadAudit.count("kind = 'degradation_changed'")
        let degraded = try overloadAudit.first("kind = 'degradation_changed' AND action != 'level=0'", from: overload.start)
        let recovered = try degraded.flatMap { try overloadAudit.first("kind = 'degradation_changed' AND action = 'level=0'", from: $0) }
        let overloadFlaps = try overloadAudit.count(AuditTimeline.reopenedAfterClosing("primary"))
        let overloadChanges = try overloadAudit.count(AuditTimeline.regionChanges("primary"))
        tables.append(BenchTable(
            columns: ["overload_529 (40% 529 for \(BenchFormat.rate(overload.duration)) s of \(BenchFormat.rate(overload.total)) s)",
                      "requests", "in fault", "errors in fault", "share", "by status", "degradation changes", "degraded after fault start",
                      "recovered after fault end", "primary state changes", "flaps"],
            rows: [["through Ballast (shipped rules)", "\(loaded.total.started)", "\(loaded.startedInFault)",
                    "\(loaded.failedInFault)", BenchFormat.percent(loaded.faultErrorShare), loaded.statusText, "\(levelChanges)",
                    degraded.map { String(format: "%.1f s", $0 - overload.start) } ?? "never",
                    recovered.map { String(format: "%.1f s", $0 - overload.end) } ?? (degraded == nil ? "-" : "not within the run"),
                    "\(overloadChanges)", "\(overloadFlaps)"]]))
        figures["overload_error_share"] = loaded.faultErrorShare
        figures["overload_degradation_changes"] = Double(levelChanges)
        figures["overload_primary_flaps"] = Double(overloadFlaps)
        checks.append(TargetCheck(target: "overload_529: zero flaps", measured: "\(overloadFlaps)", met: overloadFlaps == 0))
        tables.append(TargetCheck.table(checks))

        let summary = """
            `ballast serve` with the shipped rules (`rules/*.yaml`) in front of a simulated primary (weight 100) and a \
            standby secondary (weight 0), under open-loop load of \(BenchFormat.rate(Self.rate)) req/s (non-streamed, \
            no client retries). Fault times are seconds after the simulator started; the load starts as soon as Ballast \
            is ready, so its offsets agree with the schedule. Reroute, failback and degradation times come from Ballast's \
            `audit` table. "Errors in outage" counts failures that completed from the fault start to 1 s after its end; \
            "share" divides them by the requests started in that window or in flight at its start. A flap is a circuit \
            that closed and opened again; a half-open circuit whose probes fail while the region is still down opening \
            again (for twice as long) is the breaker working, not a flap. Failback waits out the shipped 30 s hold-down \
            and steps back in 25% steps, so it ends after this 40 s run. The figure "one evaluation of 200 rules over 1 h of \
            telemetry" is not measured here: its rules and telemetry are built by test-only code (`Tests/RulesTests/PerformanceTests.swift`).
            """
        return BenchSection(scenario: name, title: "Self-healing with the shipped rules", summary: summary,
                            tables: tables, figures: figures)
    }

    /// One run: a fresh simulator from `yaml`, Ballast in front of it (or not), and the load
    /// until `fault.total` seconds after the simulator started.
    private func runFault(label: String, yaml: String, fault: Fault, viaBallast: Bool, context: BenchContext,
                          client: UpstreamClient) async throws -> FaultRunResult {
        context.log("self_healing: \(label)")
        let simulator = Simulator(config: try SimulatorConfig.parse(yaml, file: "<self_healing simulator>"))
        let simulatorStart = Date().timeIntervalSince1970
        try simulator.start()
        defer { simulator.stop() }
        let primary = simulator.regions[0].baseURL
        var ballast: BallastProcess?
        var storePath: String?
        if viaBallast {
            let store = context.directory.appendingPathComponent("self-healing-\(label.filter { $0.isLetter || $0.isNumber }).db").path
            storePath = store
            ballast = try BallastProcess(configYAML: Self.ballastYAML(primary: primary, secondary: simulator.regions[1].baseURL,
                                                                      store: store),
                                         directory: context.directory, environment: [:])
        }
        defer { ballast?.stop() }
        let url = (ballast.map { "http://\($0.proxyAddress)" } ?? primary) + "/v1/messages"
        let loadOffset = Date().timeIntervalSince1970 - simulatorStart
        let plan = OverheadScenario.plan(baseURL: String(url.dropLast("/v1/messages".count)), rate: Self.rate,
                                         seconds: max(1, fault.total - loadOffset), seed: context.seed)
        let recorder = LoadRecorder()
        let windows = Task { () -> (LoadReport, LoadReport) in
            func snapshot(at offset: Double) async -> LoadReport {
                let wait = simulatorStart + offset - Date().timeIntervalSince1970
                if wait > 0 { try? await Task.sleep(for: .seconds(wait)) }
                return recorder.snapshot(elapsed: 0)
            }
            let atStart = await snapshot(at: fault.start)
            let settled = await snapshot(at: fault.end + 1)
            return (atStart, settled)
        }
        let total = await LoadGenerator(client: client).run(plan, recorder: recorder)
        let (atStart, settled) = await windows.value
        ballast?.stop()
        var byStatus: [Int: Int] = [:]
        for (status, count) in settled.failedByStatus {
            let delta = count - (atStart.failedByStatus[status] ?? 0)
            if delta > 0 { byStatus[status] = delta }
        }
        let transport = settled.transportFailures - atStart.transportFailures
        if transport > 0 { byStatus[0] = transport }
        context.log("\(label): \(total.started) requests, \(total.failed) failed; load began \(String(format: "%.2f", loadOffset)) s after the simulator; "
            + "by region \(total.regions.sorted { $0.key < $1.key }), \(String(format: "%.2f", total.attemptsPerRequest)) attempts per answer")
        // In flight at the fault start: they may fail inside the window too.
        let inFlight = atStart.started - atStart.succeeded - atStart.failed
        return FaultRunResult(total: total, startedInFault: settled.started - atStart.started + inFlight,
                              failedInFault: settled.failed - atStart.failed, failedInFaultByStatus: byStatus,
                              simulatorStart: simulatorStart, loadOffset: loadOffset, storePath: storePath)
    }
}
