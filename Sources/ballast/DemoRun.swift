import BallastCore
import BallastTesting
import Telemetry
import Foundation
import Upstream

/// One demo: a simulator with a primary region that fails on a schedule and a healthy
/// standby, Ballast in front of both, and the same open-loop traffic sent directly to the
/// primary (no protection) and through Ballast.
struct DemoRun: Sendable {
    let seconds: Double
    let rate: Double
    let seed: UInt64
    let live: Bool

    /// The faults the primary goes through, as fractions of the run: a 429 storm (its rate
    /// limit drops to half the offered load), a regional outage (connections refused), and a
    /// wave of 529s with some resets.
    static let phases: [(start: Double, end: Double, label: String, faults: String)] = [
        (0.08, 0.25, "429 storm on primary (limit: half the load)", "{ rate_limit: { requests_per_second: RATE_HALF, burst: RATE_QUARTER } }"),
        (0.32, 0.55, "primary DOWN (refusing connections)", "{ refuse_connections: true }"),
        (0.70, 0.88, "529 wave on primary (30% overloaded, 2% resets)", "{ error_ratio: { \"529\": 0.3 }, reset_ratio: 0.02 }"),
    ]

    func phase(at elapsed: Double) -> String {
        let fraction = elapsed / seconds
        return Self.phases.first { fraction >= $0.start && fraction < $0.end }?.label ?? "healthy"
    }

    var simulatorYAML: String {
        """
        seed: \(seed)
        regions:
          - name: primary
            listen: 127.0.0.1:0
            latency: { first_byte: { median: 120ms, spread: 0.4 }, token_interval: 4ms }
            output: { min_tokens: 20, max_tokens: 80 }
            schedule:
        \(Self.phases.map { phase in
            let faults = phase.faults.replacingOccurrences(of: "RATE_HALF", with: String(max(1, Int(rate / 2))))
                .replacingOccurrences(of: "RATE_QUARTER", with: String(max(1, Int(rate / 4))))
            return "      - { at: \(seconds * phase.start)s, for: \(seconds * (phase.end - phase.start))s, faults: \(faults) }"
        }.joined(separator: "\n"))
          - name: secondary
            listen: 127.0.0.1:0
            latency: { first_byte: { median: 150ms, spread: 0.4 }, token_interval: 4ms }
            output: { min_tokens: 20, max_tokens: 80 }
        """
    }

    /// The shipped rule files when run from the repository (as `make demo` does).
    var rulesGlob: String {
        let shipped = FileManager.default.currentDirectoryPath + "/rules"
        return FileManager.default.fileExists(atPath: shipped) ? shipped + "/*.yaml" : ""
    }

    func ballastYAML(primary: String, secondary: String, store: String) -> String {
        """
        listen: 127.0.0.1:0
        admin: { listen: 127.0.0.1:0 }
        store: { path: "\(store)" }
        rules: { paths: [\(rulesGlob.isEmpty ? "" : "\"\(rulesGlob)\"")] }
        upstream:
          auth: { mode: passthrough }
          timeouts: { connect: 1s, first_byte: 20s, idle: 10s, total: 60s }
          regions:
            - { name: primary, base_url: "\(primary)", weight: 100 }
            - { name: secondary, base_url: "\(secondary)", weight: 0 }
        """
    }

    func plan(baseURL: String) -> LoadPlan {
        LoadPlan(rate: rate, duration: seconds, maxRequests: Int(rate * seconds * 2), drainTimeout: 30, seed: seed) { index, random in
            let stream = random < 0.3
            let body = #"{"model":"claude-sonnet-4-6","max_tokens":256,"stream":\#(stream),"messages":[{"role":"user","content":"Question \#(index % 50)"}]}"#
            return UpstreamRequest(url: baseURL + "/v1/messages",
                                   headers: ["content-type": "application/json", "x-api-key": "sk-demo"],
                                   body: Array(body.utf8),
                                   timeouts: UpstreamTimeouts(connect: 1, firstByte: 20, idle: 10, total: 60))
        }
    }

    /// The route weights in force, from Ballast's own `/metrics`.
    static func weights(admin: String, client: UpstreamClient) async -> [String: Int] {
        let collector = ResponseCollector()
        client.submit(UpstreamRequest(method: "GET", url: "http://\(admin)/metrics"), delegate: collector)
        var weights: [String: Int] = [:]
        for line in await collector.result().text.split(separator: "\n") where line.hasPrefix("ballast_route_weight{region=\"") {
            let rest = line.dropFirst("ballast_route_weight{region=\"".count)
            guard let quote = rest.firstIndex(of: "\""), let space = rest.lastIndex(of: " ") else { continue }
            weights[String(rest[..<quote])] = Int(Double(rest[rest.index(after: space)...]) ?? 0)
        }
        return weights
    }

    /// The last few actions Ballast wrote to its audit table (read while it runs: WAL allows it).
    static func latestActions(database: String) -> [String] {
        guard FileManager.default.fileExists(atPath: database), let store = try? TelemetryStore(path: database),
              let connection = try? store.openConnection(),
              let statement = try? connection.prepare("SELECT kind, target, action, actor FROM audit ORDER BY id DESC LIMIT 3")
        else { return [] }
        var rows: [String] = []
        try? statement.query { row in
            rows.append("\(row.string(at: 0) ?? "") \(row.string(at: 1) ?? "") -> \(row.string(at: 2) ?? "")  (\(row.string(at: 3) ?? ""))")
        }
        return rows.reversed()
    }

    func run() async throws -> String {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("ballast-demo-\(getpid())")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let simulator = Simulator(config: try SimulatorConfig.parse(simulatorYAML, file: "<demo simulator>"))
        try simulator.start()
        defer { simulator.stop() }
        let primary = simulator.regions[0].baseURL
        let ballast = try BallastProcess(configYAML: ballastYAML(primary: primary, secondary: simulator.regions[1].baseURL,
                                                                 store: directory.appendingPathComponent("ballast.db").path),
                                         directory: directory, environment: [:])
        defer { ballast.stop() }

        print("Ballast demo: \(Int(rate)) req/s for \(DurationText.format(seconds)) on each path, 30% streaming.")
        print("  simulator: primary \(primary), secondary \(simulator.regions[1].baseURL) (standby); the primary goes through:")
        for phase in Self.phases {
            print("    \(DurationText.format(seconds * phase.start))-\(DurationText.format(seconds * phase.end)): \(phase.label)")
        }
        print("  unprotected: the client calls the primary directly")
        print("  Ballast:     the client calls Ballast at \(ballast.proxyAddress); primary weight 100, secondary standby\n")

        let directClient = UpstreamClient()
        let ballastClient = UpstreamClient()
        directClient.start()
        ballastClient.start()
        defer {
            directClient.shutdown()
            ballastClient.shutdown()
        }
        let directRecorder = LoadRecorder()
        let ballastRecorder = LoadRecorder()
        let clock = SystemClock()
        let start = clock.now()
        async let directRun = LoadGenerator(client: directClient).run(plan(baseURL: primary), recorder: directRecorder)
        async let ballastRun = LoadGenerator(client: ballastClient).run(plan(baseURL: "http://\(ballast.proxyAddress)"),
                                                                        recorder: ballastRecorder)
        let view = DemoView(live: live)
        while clock.now().seconds(since: start) < seconds + 0.5 {
            try? await Task.sleep(for: .seconds(1))
            let elapsed = clock.now().seconds(since: start)
            view.update(elapsed: elapsed, phase: phase(at: elapsed), direct: directRecorder.snapshot(elapsed: elapsed),
                        ballast: ballastRecorder.snapshot(elapsed: elapsed),
                        weights: await Self.weights(admin: ballast.adminAddress, client: ballastClient),
                        actions: Self.latestActions(database: directory.appendingPathComponent("ballast.db").path))
        }
        let direct = await directRun
        let protected = await ballastRun
        view.finish()
        let database = directory.appendingPathComponent("ballast.db").path
        return DemoSummary(direct: direct, ballast: protected).table
            + "\n\nEvery request Ballast handled, and every action it took, is in \(database); explore it with\n  \(CommandLine.arguments[0]) stats --db \(database) --since 5m"
    }
}
