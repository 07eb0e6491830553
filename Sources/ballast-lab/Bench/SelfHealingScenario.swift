import BallastTesting
import Foundation
import Upstream
import BallastSimulator

/// Ballast with the shipped rules in front of a primary region and a standby (weight 0), in
/// three scenarios: a regional outage (connections refused), a 529 overload of
/// the primary, and one model failing in every region, each on the simulator's fault
/// schedule, with how fast the rules reacted and recovered read back from Ballast's audit
/// log. The runs go side by side (each its own simulator, Ballast and load), so the whole
/// scenario takes as long as the longest: the outage, until its full failback.
struct SelfHealingScenario: BenchScenario {
    let name = "self_healing"
    static let rate = 40.0
    /// The shipped `recovery.yaml` hold-down, for the failback target.
    static let holdDown = 30.0
    static let failingModel = "claude-opus-4-1"
    static let healthyModel = "claude-sonnet-4-6"

    typealias Fault = FaultRunner.Fault

    func run(_ context: BenchContext) async throws -> BenchSection {
        guard FileManager.default.fileExists(atPath: FileManager.default.currentDirectoryPath + "/rules") else {
            throw BenchError.processFailed("self_healing needs the shipped rules in ./rules (run it from the repository)")
        }
        let runner = FaultRunner(context: context)
        let one = [LoadStream(model: Self.healthyModel, rate: Self.rate)]

        // The outage runs until well after its failback: the circuit reopens once while the
        // region is still down (20 s), then holds down for 30 s and ramps back.
        let outage = Fault(start: context.seconds(10), duration: context.seconds(15), total: context.seconds(88))
        let outageYAML = FaultRunner.simulatorYAML(fault: outage, faults: "{ refuse_connections: true }")
        let direct = Fault(start: outage.start, duration: outage.duration, total: context.seconds(40))
        let overload = Fault(start: context.seconds(10), duration: context.seconds(20), total: context.seconds(72))
        let overloadYAML = FaultRunner.simulatorYAML(fault: overload, faults: #"{ error_ratio: { "529": 0.4 } }"#)
        let modelFault = Fault(start: context.seconds(10), duration: context.seconds(20), total: context.seconds(70))
        let modelYAML = FaultRunner.simulatorYAML(
            fault: modelFault, faults: #"{ error_ratio: { "529": 1 } }"#,
            models: [Self.failingModel], bothRegions: true)
        let mixed = [LoadStream(model: Self.failingModel, rate: Self.rate / 2), LoadStream(model: Self.healthyModel, rate: Self.rate / 2)]

        async let protectedRun = runner.run(label: "region_outage", yaml: outageYAML, fault: outage, viaBallast: true, streams: one)
        async let directRun = runner.run(label: "region_outage direct", yaml: outageYAML, fault: direct, viaBallast: false, streams: one)
        async let overloadRun = runner.run(label: "overload_529", yaml: overloadYAML, fault: overload, viaBallast: true, streams: one)
        async let modelRun = runner.run(label: "model_outage", yaml: modelYAML, fault: modelFault, viaBallast: true, streams: mixed)
        let (protectedResults, directResults, overloadResults, modelResults) = try await (protectedRun, directRun, overloadRun, modelRun)

        var figures: [String: Double] = [:]
        var checks: [TargetCheck] = []
        var tables: [BenchTable] = []
        tables.append(
            try outageTable(
                protectedResults[0], direct: directResults[0], fault: outage, figures: &figures, checks: &checks,
                context: context))
        tables.append(try overloadTable(overloadResults[0], fault: overload, figures: &figures, checks: &checks, context: context))
        tables.append(try modelTable(modelResults, fault: modelFault, figures: &figures, checks: &checks, context: context))
        tables.append(TargetCheck.table(checks))

        let summary = """
            `ballast serve` with the shipped rules (`rules/*.yaml`) in front of a simulated primary (weight 100) and a \
            standby secondary (weight 0), under open-loop load of \(BenchFormat.rate(Self.rate)) req/s (non-streamed, \
            no client retries). The three faults run side by side, each with its own simulator, Ballast and load. \
            Fault times are seconds after the simulator started; the load starts as soon as Ballast is ready, so its \
            offsets agree with the schedule. Every reaction, recovery and flap comes from Ballast's `audit` table. \
            "Errors in fault" counts failures that completed from the fault start to 1 s after its end; "share" \
            divides them by the requests started in that window or in flight at its start. "Recovery" is the fault's \
            end; the failback target counts from the moment the primary's circuit closed (its probes passed: Ballast \
            knows it is healthy again), which is when the 30 s hold-down starts; the time from the fault's end adds \
            the circuit's open time, doubled to 20 s because its first probes came while the region was still down. \
            A circuit flap is a circuit that closed and opened again (a half-open circuit whose probes fail opening \
            again is the breaker working); a level flap is the degradation level rising again after it fell. The \
            figure "one evaluation of 200 rules over 1 h of telemetry" is in the `rule_eval` section.
            """
        return BenchSection(
            scenario: name, title: "Self-healing with the shipped rules", summary: summary,
            tables: tables, figures: figures)
    }

    private func outageTable(
        _ protected: FaultRunResult, direct: FaultRunResult, fault: Fault, figures: inout [String: Double],
        checks: inout [TargetCheck], context: BenchContext
    ) throws -> BenchTable {
        let audit = try AuditTimeline(path: protected.storePath!, origin: protected.simulatorStart)
        for line in try audit.lines() { context.log("region_outage audit: \(line)") }
        let reroute = try audit.first(AuditTimeline.regionChanges("primary"), from: fault.start).map { $0 - fault.start }
        let closed = try audit.first("kind = 'circuit_changed' AND target = 'region=primary' AND action = 'closed'", from: fault.end)
        let restored = try audit.first("kind = 'route_shifted' AND target = 'region=primary' AND action = 'weight=100'", from: fault.start)
        let afterClose = closed.flatMap { closed in restored.map { $0 - closed } }
        let afterRecovery = restored.map { $0 - fault.end }
        let changes = try audit.count(AuditTimeline.regionChanges("primary"))
        let flaps = try audit.count(AuditTimeline.reopenedAfterClosing("primary"))
        let levels = try audit.count("kind = 'degradation_changed'")
        figures["outage_direct_error_share"] = direct.faultErrorShare
        figures["outage_error_share"] = protected.faultErrorShare
        figures["outage_errors"] = Double(protected.failedInFault)
        if let reroute { figures["outage_reroute_s"] = reroute }
        if let closed { figures["outage_circuit_closed_s"] = closed - fault.end }
        if let afterClose { figures["outage_failback_after_close_s"] = afterClose }
        if let afterRecovery { figures["outage_failback_s"] = afterRecovery }
        figures["outage_primary_flaps"] = Double(flaps)
        figures["outage_degradation_changes"] = Double(levels)
        let target = Self.holdDown + 10
        checks.append(
            TargetCheck(
                target: "region_outage: reroute within 1 s of the first failures",
                measured: reroute.map { String(format: "%.2f s", $0) } ?? "no reroute",
                met: reroute.map { $0 <= 1 } ?? false))
        checks.append(.atMost("region_outage: client-visible errors <= 0.1% during the outage", protected.faultErrorShare, 0.001))
        checks.append(
            TargetCheck(
                target: "region_outage: failback complete within hold-down + 10 s (\(BenchFormat.rate(target)) s) of the recovery",
                measured: afterClose.map { String(format: "%.1f s after the circuit closed", $0) } ?? "not within the run",
                met: afterClose.map { $0 <= target } ?? false))
        checks.append(TargetCheck(target: "region_outage: zero flaps", measured: "\(flaps)", met: flaps == 0))
        return BenchTable(
            columns: [
                "region_outage (\(BenchFormat.rate(fault.duration)) s refused of \(BenchFormat.rate(fault.total)) s)",
                "requests", "in outage", "errors in outage", "share", "by status", "reroute after fault",
                "circuit closed after recovery", "full failback after circuit closed", "full failback after recovery",
                "primary state changes", "flaps",
            ],
            rows: [
                [
                    "direct to primary (unprotected, \(BenchFormat.rate(direct.total.elapsed)) s)", "\(direct.total.started)",
                    "\(direct.startedInFault)", "\(direct.failedInFault)", BenchFormat.percent(direct.faultErrorShare), direct.statusText,
                    "-", "-", "-", "-", "-", "-",
                ],
                [
                    "through Ballast (shipped rules)", "\(protected.total.started)", "\(protected.startedInFault)",
                    "\(protected.failedInFault)", BenchFormat.percent(protected.faultErrorShare), protected.statusText,
                    reroute.map { "\(BenchFormat.ms($0 * 1000)) ms" } ?? "none",
                    closed.map { String(format: "%.1f s", $0 - fault.end) } ?? "not within the run",
                    afterClose.map { String(format: "%.1f s", $0) } ?? "not within the run",
                    afterRecovery.map { String(format: "%.1f s", $0) } ?? "not within the run", "\(changes)", "\(flaps)",
                ],
            ])
    }

    private func overloadTable(
        _ loaded: FaultRunResult, fault: Fault, figures: inout [String: Double],
        checks: inout [TargetCheck], context: BenchContext
    ) throws -> BenchTable {
        let audit = try AuditTimeline(path: loaded.storePath!, origin: loaded.simulatorStart)
        for line in try audit.lines() { context.log("overload_529 audit: \(line)") }
        let levelChanges = try audit.count("kind = 'degradation_changed'")
        let degraded = try audit.first("kind = 'degradation_changed' AND action != 'level=0'", from: fault.start)
        let recovered = try degraded.flatMap { try audit.first("kind = 'degradation_changed' AND action = 'level=0'", from: $0) }
        let highest = try audit.highestLevel()
        let levelFlaps = try audit.degradationFlaps()
        let circuitFlaps = try audit.count(AuditTimeline.reopenedAfterClosing("primary"))
        let regionChanges = try audit.count(AuditTimeline.anyRegionChange)
        figures["overload_error_share"] = loaded.faultErrorShare
        figures["overload_degradation_changes"] = Double(levelChanges)
        figures["overload_highest_level"] = Double(highest)
        if let degraded { figures["overload_degraded_s"] = degraded - fault.start }
        if let recovered { figures["overload_recovered_s"] = recovered - fault.end }
        figures["overload_level_flaps"] = Double(levelFlaps)
        figures["overload_primary_flaps"] = Double(circuitFlaps)
        checks.append(
            TargetCheck(
                target: "overload_529: the ladder degrades during the fault",
                measured: degraded.map { String(format: "level %d, %.1f s after the fault start", highest, $0 - fault.start) }
                    ?? "never",
                met: degraded.map { $0 < fault.end } ?? false))
        checks.append(
            TargetCheck(
                target: "overload_529: ... and recovers after it",
                measured: recovered.map { String(format: "level 0 %.1f s after the fault end", $0 - fault.end) }
                    ?? "not within the run",
                met: recovered != nil))
        checks.append(
            TargetCheck(
                target: "overload_529: zero flaps (level and circuits)", measured: "\(levelFlaps + circuitFlaps)",
                met: levelFlaps + circuitFlaps == 0))
        return BenchTable(
            columns: [
                "overload_529 (40% 529 for \(BenchFormat.rate(fault.duration)) s of \(BenchFormat.rate(fault.total)) s)",
                "requests", "in fault", "errors in fault", "share", "by status", "degraded after fault start", "highest level",
                "level 0 after fault end", "degradation changes", "level flaps", "region state changes", "circuit flaps",
            ],
            rows: [
                [
                    "through Ballast (shipped rules)", "\(loaded.total.started)", "\(loaded.startedInFault)",
                    "\(loaded.failedInFault)", BenchFormat.percent(loaded.faultErrorShare), loaded.statusText,
                    degraded.map { String(format: "%.1f s", $0 - fault.start) } ?? "never", "\(highest)",
                    recovered.map { String(format: "%.1f s", $0 - fault.end) } ?? (degraded == nil ? "-" : "not within the run"),
                    "\(levelChanges)", "\(levelFlaps)", "\(regionChanges)", "\(circuitFlaps)",
                ]
            ])
    }

    private func modelTable(
        _ results: [FaultRunResult], fault: Fault, figures: inout [String: Double],
        checks: inout [TargetCheck], context: BenchContext
    ) throws -> BenchTable {
        let failing = results[0]
        let healthy = results[1]
        let audit = try AuditTimeline(path: failing.storePath!, origin: failing.simulatorStart)
        for line in try audit.lines() { context.log("model_outage audit: \(line)") }
        let model = Self.failingModel
        let fellBack = try audit.first("kind = 'circuit_changed' AND target = 'model=\(model)' AND action = 'open'", from: fault.start)
        let closed = try fellBack.flatMap {
            try audit.first("kind = 'circuit_changed' AND target = 'model=\(model)' AND action = 'closed'", from: $0)
        }
        let flaps = try audit.count(AuditTimeline.modelReopenedAfterClosing(model))
        let modelChanges = try audit.count(AuditTimeline.modelCircuitChanges(model))
        let otherChanges = try audit.count(
            "kind IN ('circuit_changed', 'route_shifted', 'degradation_changed') AND "
                + "NOT (\(AuditTimeline.modelCircuitChanges(model)))")
        figures["model_outage_error_share"] = failing.faultErrorShare
        figures["model_outage_other_errors"] = Double(healthy.total.failed)
        if let fellBack { figures["model_outage_fallback_s"] = fellBack - fault.start }
        if let closed { figures["model_outage_recovered_s"] = closed - fault.end }
        figures["model_outage_flaps"] = Double(flaps)
        figures["model_outage_other_changes"] = Double(otherChanges)
        checks.append(
            TargetCheck(
                target: "model_outage: the failing model falls back during the fault",
                measured: fellBack.map { String(format: "%.1f s after the fault start", $0 - fault.start) } ?? "never",
                met: fellBack.map { $0 < fault.end } ?? false))
        checks.append(
            TargetCheck(
                target: "model_outage: the other models are untouched (no errors, no other state change)",
                measured: "\(healthy.total.failed) errors, \(otherChanges) other changes",
                met: healthy.total.failed == 0 && otherChanges == 0))
        checks.append(TargetCheck(target: "model_outage: zero flaps", measured: "\(flaps)", met: flaps == 0))
        let duration = "\(BenchFormat.rate(fault.duration)) s of \(BenchFormat.rate(fault.total)) s"
        return BenchTable(
            columns: [
                "model_outage (\(model) answers 529 in both regions for \(duration))", "requests", "in fault", "errors in fault",
                "share", "by status", "errors in the run", "fallback after fault start", "circuit closed after fault end",
                "its circuit changes", "other state changes", "flaps",
            ],
            rows: [
                [
                    "\(model) (\(BenchFormat.rate(Self.rate / 2)) req/s)", "\(failing.total.started)", "\(failing.startedInFault)",
                    "\(failing.failedInFault)", BenchFormat.percent(failing.faultErrorShare), failing.statusText, "\(failing.total.failed)",
                    fellBack.map { String(format: "%.1f s", $0 - fault.start) } ?? "never",
                    closed.map { String(format: "%.1f s", $0 - fault.end) } ?? (fellBack == nil ? "-" : "not within the run"),
                    "\(modelChanges)", "\(otherChanges)", "\(flaps)",
                ],
                [
                    "\(Self.healthyModel) (\(BenchFormat.rate(Self.rate / 2)) req/s)", "\(healthy.total.started)", "\(healthy.startedInFault)",
                    "\(healthy.failedInFault)", BenchFormat.percent(healthy.faultErrorShare), healthy.statusText, "\(healthy.total.failed)",
                    "-", "-", "-", "-", "-",
                ],
            ])
    }
}
