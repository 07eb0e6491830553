import BallastCore
import BallastTesting
import Foundation
import Synchronization
import Telemetry
import Upstream
import BallastSimulator

/// What a `kill -9` costs: Ballast under 200 req/s with an operator draining and restoring a
/// region every 250 ms, killed at a random moment, ten times on one store file. After each
/// kill: the file's integrity, the completed requests that have no row, the acknowledged
/// operator actions missing from the audit log, and (after the restart) whether the override
/// in force is the one the last acknowledged action left.
///
/// Request records wait up to the writer's flush interval (`TelemetryWriterOptions`, 100 ms)
/// in memory before their transaction commits: that much may be lost, no more. Operator
/// actions are written and audited before their 200, so none may be lost.
struct CrashScenario: BenchScenario {
    let name = "crash"

    static let rounds = 10
    static let rate = 200.0
    static let token = ControlAPIScenario.token
    static let flushInterval = TelemetryWriterOptions().flushInterval

    struct Round {
        var completed = 0
        var newRows = 0
        var acknowledged = 0
        /// Operator actions not answered 200 (a store that cannot keep them refuses with 503).
        var refusedActions = 0
        var audited = 0
        var integrity = ""
        var overrideKept = true
        var killAfter = 0.0
        var missing: Int { max(0, completed - newRows) }
    }

    func run(_ context: BenchContext) async throws -> BenchSection {
        let simulator = Simulator(config: try SimulatorConfig.parse(ControlAPIScenario.simulatorYAML, file: "<crash simulator>"))
        try simulator.start()
        defer { simulator.stop() }
        let store = context.directory.appendingPathComponent("crash.db").path
        let yaml = ControlAPIScenario.ballastYAML(
            primary: simulator.regions[0].baseURL, secondary: simulator.regions[1].baseURL,
            store: store, rules: context.directory.appendingPathComponent("no-rules-*.yaml").path)
        let client = context.makeLoadClient()
        defer { client.shutdown() }
        var random = SeededRandom(seed: context.seed)
        var rounds: [Round] = []
        // Whether the last acknowledged operator action left `secondary` drained.
        var expectDrained = false

        for index in 0..<Self.rounds {
            var round = Round()
            let rowsBefore = try Self.rows(store)
            let auditBefore = try Self.operatorAudits(store)
            let ballast = try BallastProcess(
                configYAML: yaml, directory: context.directory,
                environment: ["BALLAST_ADMIN_TOKEN": Self.token])
            let admin = "http://\(ballast.adminAddress)"
            if index > 0 { round.overrideKept = await Self.isDrained(client: client, admin: admin) == expectDrained }
            rounds.append(round)  // kept even if the round fails below

            let completed = Atomic<Int>(0)
            let base = "http://\(ballast.proxyAddress)/v1/messages"
            let plan = LoadPlan(rate: Self.rate, duration: 6, drainTimeout: 2, seed: context.seed &+ UInt64(index)) { _, _ in
                UpstreamRequest(
                    url: base, headers: ["content-type": "application/json", "x-api-key": "sk-bench"],
                    body: Array(#"{"model":"m","max_tokens":12,"messages":[{"role":"user","content":"crash"}]}"#.utf8),
                    timeouts: UpstreamTimeouts(connect: 1, firstByte: 5, idle: 5, total: 10))
            }
            var counting = plan
            counting.onComplete = { outcome in if outcome.succeeded { completed.add(1, ordering: .relaxed) } }
            round.killAfter = 1.5 + Double.random(in: 0..<1, using: &random) * 3
            let killAt = Date().addingTimeInterval(round.killAfter)
            async let load = LoadGenerator(client: client).run(counting)
            // The operator keeps acting until the kill.
            var drained = expectDrained
            while Date() < killAt {
                let path = drained ? "restore" : "drain"
                let status = await ControlAPIScenario.call(
                    client: client, method: "POST", url: admin + "/control/v1/regions/secondary/\(path)",
                    body: #"{"reason":"bench: crash round \#(index)"}"#)
                if status != 200, round.refusedActions == 0 { context.log("crash: operator \(path) answered \(status)") }
                if status != 200 { round.refusedActions += 1 }
                if status == 200 {
                    drained.toggle()
                    round.acknowledged += 1
                    expectDrained = drained
                }
                try? await Task.sleep(for: .milliseconds(250))
            }
            round.completed = completed.load(ordering: .relaxed)
            ballast.process.kill()
            ballast.process.wait()
            _ = await load

            round.integrity = try TelemetryStore(path: store).integrityCheck()
            round.newRows = try Self.rows(store) - rowsBefore
            round.audited = try Self.operatorAudits(store) - auditBefore
            rounds[rounds.count - 1] = round
            context.log(
                "crash: round \(index + 1): killed after \(String(format: "%.2f", round.killAfter)) s, "
                    + "\(round.completed) completed, \(round.missing) without a row, \(round.acknowledged) operator actions, "
                    + "\(round.audited) audited, integrity \(round.integrity)")
        }
        // The restart after the last kill: the override in force must be the last acknowledged one.
        let last = try BallastProcess(configYAML: yaml, directory: context.directory, environment: ["BALLAST_ADMIN_TOKEN": Self.token])
        let finalKept = await Self.isDrained(client: client, admin: "http://\(last.adminAddress)") == expectDrained
        last.stop()
        return section(rounds, finalKept: finalKept)
    }

    private func section(_ rounds: [Round], finalKept: Bool) -> BenchSection {
        let missing = rounds.map(\.missing).sorted()
        let completed = rounds.map(\.completed).reduce(0, +)
        let lostActions = rounds.map { max(0, $0.acknowledged - $0.audited) }.reduce(0, +)
        let overridesLost = rounds.dropFirst().filter { !$0.overrideKept }.count + (finalKept ? 0 : 1)
        let allIntact = rounds.allSatisfy { $0.integrity == "ok" }
        let perFlush = Int((Self.rate * Self.flushInterval).rounded(.up))
        let table = BenchTable(
            columns: [
                "round", "killed after", "completed before the kill", "without a row", "operator actions (200)", "audited", "override after restart",
                "integrity",
            ],
            rows: rounds.enumerated().map { index, round in
                [
                    String(index + 1), String(format: "%.2f s", round.killAfter), String(round.completed), String(round.missing),
                    String(round.acknowledged), String(round.audited),
                    index == 0 ? "-" : (round.overrideKept ? "as acknowledged" : "LOST"), round.integrity,
                ]
            })
        let targets = BenchTable(
            columns: ["measure", "measured", "target", "verdict"],
            rows: [
                [
                    "completed requests without a row, worst round", String(missing.last ?? 0),
                    "<= \(perFlush) (\(Int(Self.rate)) req/s x the \(Int(Self.flushInterval * 1000)) ms flush interval)",
                    (missing.last ?? 0) <= perFlush ? "met" : "MISSED",
                ],
                [
                    "acknowledged operator actions lost (audit or override)", String(lostActions + overridesLost), "0",
                    lostActions + overridesLost == 0 ? "met" : "MISSED",
                ],
                ["integrity_check after every kill", allIntact ? "ok" : "FAILED", "ok", allIntact ? "met" : "MISSED"],
            ])
        let median = missing.isEmpty ? 0 : missing[missing.count / 2]
        let summary = """
            `kill -9` at a random moment 1.5-4.5 s into \(Int(Self.rate)) req/s, \(Self.rounds) times on one store file, \
            while an operator drains and restores a region every 250 ms. Completed requests without a row per kill: \
            median **\(median)**, worst **\(missing.last ?? 0)** (of \(completed) completed in all; a row is committed \
            within the writer's \(Int(Self.flushInterval * 1000)) ms flush interval). Operator actions acknowledged with \
            a 200 and lost: **\(lostActions + overridesLost)**. The counts are from the client's side: a request counts \
            as completed when its whole answer arrived before the kill was sent.
            """
        return BenchSection(
            scenario: name, title: "Crash", summary: summary, tables: [targets, table],
            figures: [
                "missing_rows_median": Double(median), "missing_rows_worst": Double(missing.last ?? 0),
                "completed": Double(completed), "operator_actions_lost": Double(lostActions + overridesLost),
                "integrity_ok": allIntact ? 1 : 0,
            ])
    }

    static func rows(_ store: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: store) else { return 0 }
        return Int(try TelemetryStore(path: store).scalar("SELECT count(*) FROM requests") ?? "0") ?? 0
    }

    static func operatorAudits(_ store: String) throws -> Int {
        guard FileManager.default.fileExists(atPath: store) else { return 0 }
        return Int(
            try TelemetryStore(path: store).scalar(
                "SELECT count(*) FROM audit WHERE kind = 'operator_override' AND target LIKE '%secondary%'") ?? "0") ?? 0
    }

    static func isDrained(client: UpstreamClient, admin: String) async -> Bool {
        let collector = ResponseCollector()
        client.submit(
            UpstreamRequest(
                method: "GET", url: admin + "/control/v1/overrides",
                headers: ["authorization": "Bearer \(token)"]), delegate: collector)
        let text = await collector.result().text
        return text.contains("secondary") && text.contains("drain")
    }
}
