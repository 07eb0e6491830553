import BallastCore
import BallastTesting
import Foundation
import Upstream
import BallastSimulator

/// One demo: twin simulators (a primary that goes through the script's faults and a
/// standby, behind an OAuth issuer), Ballast with the shipped rules in front of one twin,
/// and the same open-loop traffic sent to the other twin's primary directly (no
/// protection) and through Ballast. Twins, so that neither path spends the other's rate
/// limit; alike down to the seed, so both see the same faults.
struct DemoRun: Sendable {
    let script: DemoScript
    let live: Bool

    /// The shipped rule files when run from the repository (as `make demo` does).
    static var shippedRules: String? {
        let shipped = FileManager.default.currentDirectoryPath + "/rules"
        return FileManager.default.fileExists(atPath: shipped) ? shipped + "/*.yaml" : nil
    }

    func run() async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-demo-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let database = directory.appendingPathComponent("ballast.db").path
        let config = try SimulatorConfig.parse(script.simulatorYAML, file: "<demo simulator>")
        let directSimulator = Simulator(config: config)
        let ballastSimulator = Simulator(config: config)
        try directSimulator.start()
        try ballastSimulator.start()
        let clock = SystemClock()
        let simulatorStart = clock.now()
        defer {
            directSimulator.stop()
            ballastSimulator.stop()
        }
        guard let directIssuer = directSimulator.tokenIssuer, let ballastIssuer = ballastSimulator.tokenIssuer else {
            throw BenchError.processFailed("the demo simulator has no OAuth issuer")
        }
        let rules = Self.shippedRules.map { [$0] } ?? []
        let ballast = try BallastProcess(
            configYAML: script.ballastYAML(
                primary: ballastSimulator.regions[0].baseURL, secondary: ballastSimulator.regions[1].baseURL,
                tokenURL: ballastIssuer.tokenURL, store: database, rules: rules),
            directory: directory, environment: [DemoScript.secretVariable: DemoScript.clientSecret])
        defer { ballast.stop() }

        printHeader(ballast: ballast)
        let origin = simulatorStart.adding(seconds: DemoScript.lead)
        let late = clock.now().seconds(since: origin)
        if late > 0 {
            print(String(format: "(Ballast took %.1f s to start: the faults run %.1f s ahead of the load.)\n", late + DemoScript.lead, late))
        }
        // `seconds(since:)` is never negative, so both directions are needed.
        let now = clock.now()
        let originWall = Date().timeIntervalSince1970 + origin.seconds(since: now) - now.seconds(since: origin)

        // The unprotected application fetched its token before the run.
        let token = DemoTokenHolder(token: directIssuer.issueToken())
        // Connections enough for every request in flight at the surges: a client-side queue
        // would add its own latency to both paths.
        let options = UpstreamClientOptions(maxConnectionsPerHost: 256, maxConnections: 512)
        let directClient = UpstreamClient(options: options)
        let ballastClient = UpstreamClient(options: options)
        directClient.start()
        ballastClient.start()
        defer {
            directClient.shutdown()
            ballastClient.shutdown()
        }
        let directTally = DemoTally(origin: origin)
        let ballastTally = DemoTally(origin: origin)
        let probe = DemoProbe(admin: ballast.adminAddress, client: ballastClient, database: database, originWall: originWall)
        let directURL = directSimulator.regions[0].baseURL
        let ballastURL = "http://\(ballast.proxyAddress)"
        async let directRun: Void = DemoLoad(client: directClient, script: script, origin: origin).run(
            baseURL: directURL,
            headers: {
                [
                    "content-type": "application/json", "anthropic-version": "2023-06-01",
                    "authorization": "Bearer \(token.current)",
                ]
            },
            onComplete: { directTally.record($0) })
        async let ballastRun: Void = DemoLoad(client: ballastClient, script: script, origin: origin).run(
            baseURL: ballastURL,
            headers: { ["content-type": "application/json", "anthropic-version": "2023-06-01"] },
            onComplete: { ballastTally.record($0) })
        // Token expiry: every token both issuers gave out stops working at the phase start;
        // the unprotected app renews its own when the lifetime it trusts ends, at the phase end.
        let tokenPhase = Task { [script] in
            await Self.sleep(until: origin.adding(seconds: script.start(.tokenExpiry)), clock: clock)
            directIssuer.revokeAllTokens()
            ballastIssuer.revokeAllTokens()
            await Self.sleep(until: origin.adding(seconds: script.end(.tokenExpiry)), clock: clock)
            token.replace(with: directIssuer.issueToken())
        }

        let view = DemoView(live: live, seconds: script.seconds)
        let regions = ["primary", "secondary"]
        var timeline: [(elapsed: Double, status: DemoStatus)] = []
        var tick = 1.0
        while tick <= script.seconds + 1 {
            await Self.sleep(until: origin.adding(seconds: tick), clock: clock)
            let elapsed = clock.now().seconds(since: origin)
            let status = await probe.status(regions: regions, actionCount: live ? 4 : 50)
            timeline.append((elapsed, status))
            view.update(
                elapsed: elapsed, phase: phaseText(at: elapsed, detailed: live),
                direct: Self.path(directTally, at: elapsed), ballast: Self.path(ballastTally, at: elapsed), status: status)
            tick += 1
        }
        await directRun
        await ballastRun
        await tokenPhase.value
        view.finish()
        if !ballast.process.isRunning {
            print(
                "Ballast exited during the run (\(ballast.process.wait())); its requests failed from then on.\n")
        }
        timeline.append((clock.now().seconds(since: origin), await probe.status(regions: regions)))
        // Let the store writer flush the last rows before the summary reads the audit.
        try? await Task.sleep(for: .milliseconds(600))
        let summary = DemoSummary(
            script: script, direct: directTally.all, ballast: ballastTally.all, timeline: timeline,
            actions: probe.allActions())
        ballast.stop()
        return summary.text
            + "\nEvery request Ballast handled, and every action it took with its reason, is in \(database); explore it with\n"
            + "  \(CommandLine.ballastPath) stats --db \(database) --since 10m\n"
    }

    /// The phase in force; with `detailed`, what it does too (plain lines leave that to the
    /// script printed at the start).
    private func phaseText(at elapsed: Double, detailed: Bool) -> String {
        if let phase = script.phase(at: elapsed) { return detailed ? "\(phase.title): \(phase.detail)" : phase.title }
        if elapsed < DemoScript.phases[0].start * script.seconds { return "warm-up" }
        if elapsed >= script.seconds { return "load ended; the last requests finish" }
        return "healthy"
    }

    private func printHeader(ballast: BallastProcess) {
        print(
            """
            Ballast demo: \(Int(script.rate)) req/s on each path (surging to \(Int(script.rate * DemoScript.burstFactor)) req/s \
            in the 429 phase) for \(String(format: "%g", script.seconds)) s, 30% streamed, seed \(script.seed).
              Twin simulators, alike down to the seed: a primary and a standby secondary sharing one organisation \
            limit of \(Int(script.limit)) req/s (\(Int(script.limit * 60))/min, a bucket of \(Int(script.burst))), with an OAuth token issuer.
              unprotected: the app calls its twin's primary directly with a bearer token it fetched itself, no retries.
              Ballast:     the app calls Ballast at \(ballast.proxyAddress) (oauth mode; primary weight 100, secondary standby),
                           with \(Self.shippedRules == nil ? "no rules (run it from the repository for the shipped ones)" : "the shipped rules/*.yaml").
              The script:
            """)
        for phase in DemoScript.phases {
            let span = String(format: "%.1f-%.1f s", phase.start * script.seconds, phase.end * script.seconds)
            print("    \(span.padding(toLength: 13, withPad: " ", startingAt: 0)) \(phase.title): \(phase.detail)")
        }
        print("")
    }

    private static func path(_ tally: DemoTally, at elapsed: Double) -> DemoView.Path {
        let recent = tally.window(seconds: DemoProbe.window, before: elapsed)
        let all = tally.all
        let failed = all.filter { !$0.succeeded }.count
        return DemoView.Path(
            rate: Double(recent.count) / DemoProbe.window,
            errorShare: recent.isEmpty ? 0 : Double(recent.filter { !$0.succeeded }.count) / Double(recent.count),
            p99: DemoTally.percentile(99, of: recent.map(\.latency)), succeeded: all.count - failed, failed: failed)
    }

    private static func sleep(until instant: MonotonicInstant, clock: SystemClock) async {
        let wait = instant.seconds(since: clock.now())
        if wait > 0 { try? await Task.sleep(for: .milliseconds(Int(wait * 1000))) }
    }
}
