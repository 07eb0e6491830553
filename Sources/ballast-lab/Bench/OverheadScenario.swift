import BallastCore
import BallastTesting
import Foundation
import Upstream
import BallastSimulator
import Histogram

/// The proxy's own cost: the same open-loop load against a zero-latency simulated upstream,
/// sent directly and through Ballast, in one run.
struct OverheadScenario: BenchScenario {
    let name = "overhead"

    static let simulatorYAML = """
        regions:
          - name: fast
            listen: 127.0.0.1:0
            latency: { first_byte: { median: 0ms }, token_interval: 0ms }
            output: { min_tokens: 12, max_tokens: 12 }
        """

    static func ballastYAML(upstream: String, store: String, recordRequests: Bool = true) -> String {
        """
        listen: 127.0.0.1:0
        admin: { listen: 127.0.0.1:0 }
        store: { path: "\(store)", record_requests: \(recordRequests) }
        upstream:
          auth: { mode: passthrough }
          pool: { max_per_host: 64, max_total: 128 }
          regions:
            - { name: fast, base_url: "\(upstream)", weight: 100 }
        """
    }

    static let body = Array(#"{"model":"claude-sonnet-4-6","max_tokens":64,"messages":[{"role":"user","content":"Say hello."}]}"#.utf8)

    static func plan(baseURL: String, rate: Double, seconds: Double, seed: UInt64) -> LoadPlan {
        LoadPlan(
            rate: rate, duration: seconds, maxRequests: Int(rate * seconds * 1.2) + 10, drainTimeout: 10,
            seed: seed
        ) { _, _ in
            UpstreamRequest(
                url: baseURL + "/v1/messages",
                headers: [
                    "content-type": "application/json", "x-api-key": "sk-bench",
                    "anthropic-version": "2023-06-01",
                ],
                body: body, timeouts: UpstreamTimeouts(connect: 2, firstByte: 10, idle: 10, total: 20))
        }
    }

    func run(_ context: BenchContext) async throws -> BenchSection {
        let simulator = Simulator(config: try SimulatorConfig.parse(Self.simulatorYAML, file: "<overhead simulator>"))
        try simulator.start()
        defer { simulator.stop() }
        let direct = simulator.regions[0].baseURL
        let ballast = try BallastProcess(
            configYAML: Self.ballastYAML(
                upstream: direct,
                store: context.directory.appendingPathComponent("overhead.db").path),
            directory: context.directory, environment: [:])
        defer { ballast.stop() }
        let proxied = "http://\(ballast.proxyAddress)"
        let quiet = try BallastProcess(
            configYAML: Self.ballastYAML(
                upstream: direct,
                store: context.directory.appendingPathComponent("overhead-off.db").path,
                recordRequests: false),
            directory: context.directory, environment: [:])
        defer { quiet.stop() }
        let unrecorded = "http://\(quiet.proxyAddress)"
        let client = context.makeLoadClient()
        defer { client.shutdown() }
        let load = LoadGenerator(client: client)

        context.log("overhead: warm-up")
        _ = await load.run(Self.plan(baseURL: direct, rate: 1000, seconds: 1, seed: context.seed))
        _ = await load.run(Self.plan(baseURL: proxied, rate: 1000, seconds: 1, seed: context.seed))
        _ = await load.run(Self.plan(baseURL: unrecorded, rate: 1000, seconds: 1, seed: context.seed))
        let connectionsBefore = await Self.connectionsOpened(admin: ballast.adminAddress, client: client)

        // Fixed rate, alternating direct and proxied rounds so drift hits both alike.
        let rate = 2000.0
        var directRuns: [LoadReport] = []
        var proxiedRuns: [LoadReport] = []
        var unrecordedRuns: [LoadReport] = []
        for round in 0..<2 {
            context.log("overhead: 2000 req/s round \(round + 1)")
            directRuns.append(
                await load.run(
                    Self.plan(
                        baseURL: direct, rate: rate, seconds: context.seconds(5),
                        seed: context.seed &+ UInt64(round))))
            proxiedRuns.append(
                await load.run(
                    Self.plan(
                        baseURL: proxied, rate: rate, seconds: context.seconds(5),
                        seed: context.seed &+ UInt64(round))))
            unrecordedRuns.append(
                await load.run(
                    Self.plan(
                        baseURL: unrecorded, rate: rate, seconds: context.seconds(5),
                        seed: context.seed &+ UInt64(round))))
        }
        let directAll = Self.merged(directRuns)
        let proxiedAll = Self.merged(proxiedRuns)
        let unrecordedAll = Self.merged(unrecordedRuns)
        let connectionsAfter = await Self.connectionsOpened(admin: ballast.adminAddress, client: client)
        let connectionsPerThousand = Double(connectionsAfter - connectionsBefore) * 1000 / Double(max(1, proxiedAll.started))

        // The highest rate each path sustains with p99 under 10 ms and no failures.
        let ladder: [Double] = [2000, 4000, 6000, 8000, 10000, 12000, 15000, 20000]
        var ramp: [[String]] = []
        var bestDirect = 0.0
        var bestProxied = 0.0
        var directOpen = true
        var proxiedOpen = true
        for step in ladder where directOpen || proxiedOpen {
            var row = [BenchFormat.rate(step)]
            for (url, isProxied) in [(direct, false), (proxied, true)] {
                guard isProxied ? proxiedOpen : directOpen else {
                    row += ["-", "-"]
                    continue
                }
                context.log("overhead: ramp \(Int(step)) req/s \(isProxied ? "through Ballast" : "direct")")
                let report = await load.run(Self.plan(baseURL: url, rate: step, seconds: context.seconds(3), seed: context.seed))
                let sustained =
                    report.failed == 0 && report.latencyMs(99) < 10
                    && report.goodput >= 0.95 * step
                row += [
                    "\(BenchFormat.ms(report.latencyMs(99))) ms", sustained ? "yes" : "no (\(BenchFormat.rate(report.goodput))/s, \(report.failed) failed)",
                ]
                if sustained {
                    if isProxied { bestProxied = step } else { bestDirect = step }
                } else {
                    if isProxied { proxiedOpen = false } else { directOpen = false }
                }
            }
            ramp.append(row)
        }
        let rss = ballast.residentBytes

        let added50 = proxiedAll.latencyMs(50) - directAll.latencyMs(50)
        let added99 = proxiedAll.latencyMs(99) - directAll.latencyMs(99)
        let fixed = BenchTable(
            columns: ["path", "requests", "failed", "p50", "p99", "p99.9"],
            rows: [
                [
                    "direct to simulator", "\(directAll.started)", "\(directAll.failed)",
                    "\(BenchFormat.ms(directAll.latencyMs(50))) ms", "\(BenchFormat.ms(directAll.latencyMs(99))) ms",
                    "\(BenchFormat.ms(directAll.latencyMs(99.9))) ms",
                ],
                [
                    "through Ballast", "\(proxiedAll.started)", "\(proxiedAll.failed)",
                    "\(BenchFormat.ms(proxiedAll.latencyMs(50))) ms", "\(BenchFormat.ms(proxiedAll.latencyMs(99))) ms",
                    "\(BenchFormat.ms(proxiedAll.latencyMs(99.9))) ms",
                ],
                [
                    "added by Ballast", "", "", "\(BenchFormat.ms(added50)) ms", "\(BenchFormat.ms(added99)) ms",
                    "\(BenchFormat.ms(proxiedAll.latencyMs(99.9) - directAll.latencyMs(99.9))) ms",
                ],
                [
                    "through Ballast, telemetry off", "\(unrecordedAll.started)", "\(unrecordedAll.failed)",
                    "\(BenchFormat.ms(unrecordedAll.latencyMs(50))) ms", "\(BenchFormat.ms(unrecordedAll.latencyMs(99))) ms",
                    "\(BenchFormat.ms(unrecordedAll.latencyMs(99.9))) ms",
                ],
            ])
        let rampTable = BenchTable(
            columns: ["offered req/s", "direct p99", "direct sustained", "Ballast p99", "Ballast sustained"],
            rows: ramp)
        let summary = """
            Open-loop Poisson load (latency measured from each request's scheduled arrival) against a \
            simulated region that answers at once. Load generator, simulator and Ballast (a separate \
            `ballast serve` process) share this machine's cores. At 2,000 req/s Ballast adds \
            **\(BenchFormat.ms(added50)) ms at p50 and \(BenchFormat.ms(added99)) ms at p99**. Highest rate sustained with \
            p99 < 10 ms and no failures: **\(BenchFormat.rate(bestProxied)) req/s through Ballast**, \
            \(BenchFormat.rate(bestDirect)) req/s direct (the harness's own ceiling on this machine; the ladder stops at \
            \(BenchFormat.rate(ladder.last!))). Recording every request in SQLite changes Ballast's latency by \
            \(BenchFormat.ms(proxiedAll.latencyMs(50) - unrecordedAll.latencyMs(50))) ms at p50, \
            \(BenchFormat.ms(proxiedAll.latencyMs(99) - unrecordedAll.latencyMs(99))) ms at p99 and \
            \(BenchFormat.ms(proxiedAll.latencyMs(99.9) - unrecordedAll.latencyMs(99.9))) ms at p99.9 \
            (telemetry on vs `store.record_requests: false`, same run: the tail is where a writer that falls behind shows). Upstream connections opened: \
            \(String(format: "%.1f", connectionsPerThousand)) per 1,000 proxied requests (keep-alive pool). \
            Ballast's RSS after the run: \(BenchFormat.mib(rss)).
            """
        return BenchSection(
            scenario: name, title: "Proxy overhead", summary: summary, tables: [fixed, rampTable],
            figures: [
                "direct_p50_ms": directAll.latencyMs(50), "direct_p99_ms": directAll.latencyMs(99),
                "ballast_p50_ms": proxiedAll.latencyMs(50), "ballast_p99_ms": proxiedAll.latencyMs(99),
                "added_p50_ms": added50, "added_p99_ms": added99,
                "max_rate_ballast": bestProxied, "max_rate_direct": bestDirect,
                "ballast_rss_bytes": rss,
                "telemetry_off_p50_ms": unrecordedAll.latencyMs(50),
                "telemetry_off_p99_ms": unrecordedAll.latencyMs(99),
                "telemetry_off_p999_ms": unrecordedAll.latencyMs(99.9),
                "connections_per_1000_requests": connectionsPerThousand,
            ])
    }

    /// The upstream connections a Ballast has opened, from its `/healthz`.
    static func connectionsOpened(admin: String, client: UpstreamClient) async -> Int {
        let collector = ResponseCollector()
        client.submit(UpstreamRequest(method: "GET", url: "http://\(admin)/healthz"), delegate: collector)
        let text = await collector.result().text
        guard let range = text.range(of: #""connections_opened":"#) else { return 0 }
        return Int(text[range.upperBound...].prefix { $0.isNumber }) ?? 0
    }

    static func merged(_ reports: [LoadReport]) -> LoadReport {
        var total = reports[0]
        for report in reports.dropFirst() {
            total.started += report.started
            total.succeeded += report.succeeded
            total.transportFailures += report.transportFailures
            for (status, count) in report.failedByStatus { total.failedByStatus[status, default: 0] += count }
            total.latency.add(report.latency)
            total.timeToFirstByte.add(report.timeToFirstByte)
            total.elapsed += report.elapsed
        }
        return total
    }
}
