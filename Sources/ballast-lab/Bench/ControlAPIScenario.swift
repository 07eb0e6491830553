import BallastCore
import BallastTesting
import Foundation
import Upstream
import BallastSimulator

/// The control plane under load: control API reads timed while the proxy serves 2,000 req/s,
/// against the same reads on an idle proxy and `/healthz` (no work) in the same run; and an
/// operator's drain in the middle of the load, counting requests that still reached the
/// drained region after the drain's 200.
struct ControlAPIScenario: BenchScenario {
    let name = "control_api"

    static let token = "bench-admin-token"
    static let reads = [
        "/control/v1/status", "/control/v1/regions", "/control/v1/rules", "/control/v1/circuits",
        "/control/v1/degradation", "/control/v1/actions?limit=50", "/control/v1/windows?window=5m",
    ]

    static let simulatorYAML = """
        regions:
          - name: primary
            listen: 127.0.0.1:0
            latency: { first_byte: { median: 0ms }, token_interval: 0ms }
            output: { min_tokens: 12, max_tokens: 12 }
          - name: secondary
            listen: 127.0.0.1:0
            latency: { first_byte: { median: 0ms }, token_interval: 0ms }
            output: { min_tokens: 12, max_tokens: 12 }
        """

    static func ballastYAML(primary: String, secondary: String, store: String, rules: String) -> String {
        """
        listen: 127.0.0.1:0
        admin: { listen: 127.0.0.1:0 }
        store: { path: "\(store)" }
        rules: { paths: ["\(rules)"] }
        upstream:
          auth: { mode: passthrough }
          pool: { max_per_host: 64, max_total: 128 }
          regions:
            - { name: primary, base_url: "\(primary)", weight: 1 }
            - { name: secondary, base_url: "\(secondary)", weight: 1 }
        """
    }

    func run(_ context: BenchContext) async throws -> BenchSection {
        let simulator = Simulator(config: try SimulatorConfig.parse(Self.simulatorYAML, file: "<control_api simulator>"))
        try simulator.start()
        defer { simulator.stop() }
        let rules = FileManager.default.currentDirectoryPath + "/rules/*.yaml"
        let ballast = try BallastProcess(
            configYAML: Self.ballastYAML(
                primary: simulator.regions[0].baseURL, secondary: simulator.regions[1].baseURL,
                store: context.directory.appendingPathComponent("control.db").path, rules: rules),
            directory: context.directory, environment: ["BALLAST_ADMIN_TOKEN": Self.token])
        defer { ballast.stop() }
        let admin = "http://\(ballast.adminAddress)"
        let loadClient = context.makeLoadClient()
        defer { loadClient.shutdown() }
        let readClient = UpstreamClient()
        readClient.start()
        defer { readClient.shutdown() }
        let load = LoadGenerator(client: loadClient)
        let plan = { (seconds: Double) in
            OverheadScenario.plan(baseURL: "http://\(ballast.proxyAddress)", rate: 2000, seconds: seconds, seed: context.seed)
        }

        context.log("control_api: warm-up")
        _ = await load.run(plan(1))
        let readCount = Int(max(70, 350 * context.scale))
        context.log("control_api: \(readCount) reads on an idle proxy")
        let idle = await Self.timeReads(client: readClient, admin: admin, paths: Self.reads, count: readCount, gap: 0.01)

        context.log("control_api: reads while the proxy serves 2000 req/s")
        let seconds = context.seconds(8)
        async let loaded = load.run(plan(seconds))
        try await Task.sleep(for: .milliseconds(300))
        let busy = await Self.timeReads(
            client: readClient, admin: admin, paths: Self.reads, count: readCount,
            gap: max(0.005, (seconds - 1.5) / Double(readCount)))
        let health = await Self.timeReads(client: readClient, admin: admin, paths: ["/healthz"], count: readCount / 2, gap: 0.002)
        let report = await loaded

        context.log("control_api: a drain in the middle of 2000 req/s")
        async let drainLoad = load.run(plan(context.seconds(4)))
        try await Task.sleep(for: .seconds(1))
        let drained = await Self.call(
            client: readClient, method: "POST", url: admin + "/control/v1/regions/primary/drain",
            body: #"{"reason":"bench: drain under load"}"#)
        let atDrain = simulator.regions[0].stats.requestsReceived
        try await Task.sleep(for: .seconds(1))
        let afterDrain = simulator.regions[0].stats.requestsReceived - atDrain
        let secondaryLater = simulator.regions[1].stats.requestsReceived
        let drainReport = await drainLoad
        let secondaryServed = simulator.regions[1].stats.requestsReceived - secondaryLater

        var rows: [[String]] = []
        for path in Self.reads {
            let quiet = idle[path] ?? []
            let loadedTimes = busy[path] ?? []
            rows.append([
                path.replacingOccurrences(of: "/control/v1", with: ""), "\(loadedTimes.count)",
                "\(BenchFormat.ms(Self.quantile(quiet, 0.99))) ms", "\(BenchFormat.ms(Self.quantile(loadedTimes, 0.5))) ms",
                "\(BenchFormat.ms(Self.quantile(loadedTimes, 0.99))) ms",
            ])
        }
        let allBusy = busy.values.flatMap { $0 }
        let allIdle = idle.values.flatMap { $0 }
        let healthTimes = health["/healthz"] ?? []
        rows.append([
            "all reads", "\(allBusy.count)", "\(BenchFormat.ms(Self.quantile(allIdle, 0.99))) ms",
            "\(BenchFormat.ms(Self.quantile(allBusy, 0.5))) ms", "\(BenchFormat.ms(Self.quantile(allBusy, 0.99))) ms",
        ])
        rows.append([
            "/healthz (baseline: no work)", "\(healthTimes.count)", "-", "\(BenchFormat.ms(Self.quantile(healthTimes, 0.5))) ms",
            "\(BenchFormat.ms(Self.quantile(healthTimes, 0.99))) ms",
        ])
        let table = BenchTable(columns: ["route", "reads under load", "p99 idle", "p50 under load", "p99 under load"], rows: rows)
        let p99 = Self.quantile(allBusy, 0.99)
        let summary = """
            Control API reads over HTTP (a separate libcurl client, one read at a time) while the proxy serves an \
            open-loop 2,000 req/s to two zero-latency simulated regions (\(report.started) requests, \(report.failed) failed), \
            against the same reads on an idle proxy and `/healthz` under the same load. \
            **p99 of all reads under load: \(BenchFormat.ms(p99)) ms** (target <= 5 ms: \(p99 <= 5 ? "met" : "missed")); \
            idle p99 \(BenchFormat.ms(Self.quantile(allIdle, 0.99))) ms; \
            `/healthz` p99 under load \(BenchFormat.ms(Self.quantile(healthTimes, 0.99))) ms \
            (ratio all reads / healthz at p99: \(BenchFormat.ratio(p99 / max(Self.quantile(healthTimes, 0.99), 1e-9)))). \
            A drain of `primary` in the middle of the load (answer \(drained)): \
            **\(afterDrain) requests reached primary after the drain's 200** (in the following second; requests \
            already sent upstream count as before); the secondary served \(secondaryServed) requests after it; \
            \(drainReport.failed) of \(drainReport.started) client requests failed during the drain run.
            """
        return BenchSection(
            scenario: name, title: "Control API under load", summary: summary, tables: [table],
            figures: [
                "reads_p99_ms_under_load": p99, "reads_p99_ms_idle": Self.quantile(allIdle, 0.99),
                "healthz_p99_ms_under_load": Self.quantile(healthTimes, 0.99),
                "requests_to_drained_region_after_200": Double(afterDrain),
                "load_failed": Double(report.failed),
            ])
    }

    /// Reads `paths` in turn, `count` times in all, one at a time with `gap` seconds between;
    /// returns each path's latencies in milliseconds.
    static func timeReads(
        client: UpstreamClient, admin: String, paths: [String], count: Int,
        gap: Double
    ) async -> [String: [Double]] {
        var times: [String: [Double]] = [:]
        for index in 0..<count {
            let path = paths[index % paths.count]
            let collector = ResponseCollector()
            client.submit(
                UpstreamRequest(method: "GET", url: admin + path, headers: ["authorization": "Bearer \(token)"]),
                delegate: collector)
            let result = await collector.result()
            if result.head?.status == 200 { times[path, default: []].append(result.completion.duration * 1000) }
            try? await Task.sleep(for: .milliseconds(Int(gap * 1000)))
        }
        return times
    }

    static func call(client: UpstreamClient, method: String, url: String, body: String) async -> Int {
        let collector = ResponseCollector()
        client.submit(
            UpstreamRequest(
                method: method, url: url,
                headers: [
                    "authorization": "Bearer \(token)",
                    "content-type": "application/json",
                ],
                body: Array(body.utf8)), delegate: collector)
        return await collector.result().head?.status ?? 0
    }

    static func quantile(_ values: [Double], _ q: Double) -> Double {
        guard !values.isEmpty else { return .nan }
        let sorted = values.sorted()
        return sorted[min(sorted.count - 1, Int((Double(sorted.count) * q).rounded(.up)) - 1)]
    }
}
