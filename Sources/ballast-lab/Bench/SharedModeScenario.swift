import BallastCore
import BallastTesting
import Foundation
import Upstream
import BallastSimulator

/// Shared mode's cost: the same open-loop load through a Ballast running alone, through one
/// sharing its rate allowance and control state through a real `redis-server` (started here
/// on a loopback port, no persistence), and through one doing the same over TLS (a second
/// redis-server serving TLS only, certificates made with `openssl`), against the same
/// simulated region, which announces a rate limit (so the shared buckets lease); alternating
/// rounds in one run. Reports the latency each mode adds and the Redis round trips per client
/// request.
struct SharedModeScenario: BenchScenario {
    let name = "shared_mode"

    static let simulatorYAML = """
        regions:
          - name: fast
            listen: 127.0.0.1:0
            latency: { first_byte: { median: 0ms }, token_interval: 0ms }
            output: { min_tokens: 12, max_tokens: 12 }
            faults: { rate_limit: { requests_per_second: 5000, burst: 5000, tokens_per_minute: 0 } }
        """

    static func ballastYAML(upstream: String, store: String, redisPort: Int?, authority: String? = nil) -> String {
        var yaml = OverheadScenario.ballastYAML(upstream: upstream, store: store)
        if let redisPort {
            let tls = authority.map { #", tls: { ca_file: "\#($0)" }, connect_timeout: 2s"# } ?? ""
            yaml += """

                shared:
                  redis: { url: "\(authority == nil ? "redis" : "rediss")://127.0.0.1:\(redisPort)", key_prefix: "bench:", command_timeout: 1s\(tls) }
                """
        }
        return yaml
    }

    /// A redis-server on `port` (TLS only when `tls` is given), killed by the returned closure.
    static func startRedis(_ path: String, port: Int, tls: TestCertificates?) throws -> @Sendable () -> Void {
        let listen =
            tls.map { files in
                [
                    "--port", "0", "--tls-port", String(port), "--tls-cert-file", files.serverCertificate, "--tls-key-file",
                    files.serverKey, "--tls-ca-cert-file", files.authority, "--tls-auth-clients", "no",
                ]
            } ?? ["--port", String(port)]
        let redis = try ChildProcess(path, listen + ["--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--loglevel", "warning"])
        // SIGKILL: it has nothing to save.
        return {
            redis.kill()
            redis.wait()
        }
    }

    func run(_ context: BenchContext) async throws -> BenchSection {
        guard let redisPath = ["/usr/bin/redis-server", "/usr/local/bin/redis-server"].first(where: FileManager.default.isExecutableFile) else {
            return BenchSection(
                scenario: name, title: "Shared mode through Redis", summary: "**Not run**: redis-server is not installed (`make deps` installs it).",
                tables: [], figures: [:])
        }
        let port = try LoopbackPort.free()
        let stopRedis = try Self.startRedis(redisPath, port: port, tls: nil)
        defer { stopRedis() }
        // TLS only where `openssl` can make the certificates.
        let certificates = try? TestCertificates(directory: context.directory.appendingPathComponent("tls").path)
        let tlsPort = try LoopbackPort.free()
        let stopTLSRedis = try certificates.map { try Self.startRedis(redisPath, port: tlsPort, tls: $0) }
        defer { stopTLSRedis?() }
        try await Task.sleep(for: .milliseconds(300))

        let simulator = Simulator(config: try SimulatorConfig.parse(Self.simulatorYAML, file: "<shared_mode simulator>"))
        try simulator.start()
        defer { simulator.stop() }
        let upstream = simulator.regions[0].baseURL
        let alone = try BallastProcess(
            configYAML: Self.ballastYAML(
                upstream: upstream, store: context.directory.appendingPathComponent("alone.db").path,
                redisPort: nil), directory: context.directory, environment: [:])
        defer { alone.stop() }
        let shared = try BallastProcess(
            configYAML: Self.ballastYAML(
                upstream: upstream, store: context.directory.appendingPathComponent("shared.db").path,
                redisPort: port), directory: context.directory, environment: [:])
        defer { shared.stop() }
        let sharedTLS = try certificates.map { files in
            try BallastProcess(
                configYAML: Self.ballastYAML(
                    upstream: upstream, store: context.directory.appendingPathComponent("tls.db").path,
                    redisPort: tlsPort, authority: files.authority),
                directory: context.directory, environment: [:])
        }
        defer { sharedTLS?.stop() }
        let client = context.makeLoadClient()
        defer { client.shutdown() }
        let load = LoadGenerator(client: client)
        let rate = 1000.0
        context.log("shared_mode: warm-up")
        for url in [upstream, "http://\(alone.proxyAddress)", "http://\(shared.proxyAddress)"]
            + (sharedTLS.map { ["http://\($0.proxyAddress)"] } ?? [])
        {
            _ = await load.run(OverheadScenario.plan(baseURL: url, rate: rate, seconds: 1, seed: context.seed))
        }
        let tripsBefore = await Self.counter("ballast_shared_redis_round_trips_total", admin: shared.adminAddress, client: client)
        var direct: [LoadReport] = []
        var local: [LoadReport] = []
        var sharedRuns: [LoadReport] = []
        var tlsRuns: [LoadReport] = []
        for round in 0..<2 {
            context.log("shared_mode: \(Int(rate)) req/s round \(round + 1)")
            let seed = context.seed &+ UInt64(round)
            direct.append(await load.run(OverheadScenario.plan(baseURL: upstream, rate: rate, seconds: context.seconds(5), seed: seed)))
            local.append(await load.run(OverheadScenario.plan(baseURL: "http://\(alone.proxyAddress)", rate: rate, seconds: context.seconds(5), seed: seed)))
            sharedRuns.append(
                await load.run(
                    OverheadScenario.plan(
                        baseURL: "http://\(shared.proxyAddress)", rate: rate,
                        seconds: context.seconds(5), seed: seed)))
            if let sharedTLS {
                tlsRuns.append(
                    await load.run(
                        OverheadScenario.plan(
                            baseURL: "http://\(sharedTLS.proxyAddress)", rate: rate,
                            seconds: context.seconds(5), seed: seed)))
            }
        }
        let tripsAfter = await Self.counter("ballast_shared_redis_round_trips_total", admin: shared.adminAddress, client: client)
        let up = await Self.counter("ballast_shared_backend_up", admin: shared.adminAddress, client: client)
        var tlsUp = 0.0
        if let sharedTLS { tlsUp = await Self.counter("ballast_shared_backend_up", admin: sharedTLS.adminAddress, client: client) }
        let directAll = OverheadScenario.merged(direct)
        let localAll = OverheadScenario.merged(local)
        let sharedAll = OverheadScenario.merged(sharedRuns)
        let tripsPerRequest = (tripsAfter - tripsBefore) / Double(max(1, sharedAll.started))
        func row(_ label: String, _ report: LoadReport) -> [String] {
            let statuses =
                report.failedByStatus.sorted { $0.key < $1.key }.map { "\($0.key): \($0.value)" }
                + (report.transportFailures > 0 ? ["transport: \(report.transportFailures)"] : [])
            return [
                label, "\(report.started)", report.failed == 0 ? "0" : "\(report.failed) (\(statuses.joined(separator: ", ")))",
                "\(BenchFormat.ms(report.latencyMs(50))) ms", "\(BenchFormat.ms(report.latencyMs(99))) ms",
                "\(BenchFormat.ms(report.latencyMs(50) - directAll.latencyMs(50))) ms",
                "\(BenchFormat.ms(report.latencyMs(99) - directAll.latencyMs(99))) ms",
            ]
        }
        let table = BenchTable(
            columns: ["path", "requests", "failed", "p50", "p99", "added p50", "added p99"],
            rows: [
                row("direct to simulator", directAll), row("Ballast alone", localAll),
                row("Ballast in shared mode (Redis)", sharedAll),
            ]
                + (tlsRuns.isEmpty ? [] : [row("Ballast in shared mode (Redis over TLS)", OverheadScenario.merged(tlsRuns))]))
        let extra50 = sharedAll.latencyMs(50) - localAll.latencyMs(50)
        let extra99 = sharedAll.latencyMs(99) - localAll.latencyMs(99)
        var figures = [
            "shared_extra_p50_ms": extra50, "shared_extra_p99_ms": extra99,
            "redis_round_trips_per_request": tripsPerRequest, "shared_failed": Double(sharedAll.failed),
        ]
        var tlsText = " Over TLS: **not run** (`openssl` could not make the test certificates)."
        if !tlsRuns.isEmpty {
            let tlsAll = OverheadScenario.merged(tlsRuns)
            let tls50 = tlsAll.latencyMs(50) - sharedAll.latencyMs(50)
            let tls99 = tlsAll.latencyMs(99) - sharedAll.latencyMs(99)
            figures["tls_extra_p50_ms"] = tls50
            figures["tls_extra_p99_ms"] = tls99
            figures["tls_failed"] = Double(tlsAll.failed)
            tlsText =
                " Over TLS (a second redis-server serving TLS only; backend up: \(tlsUp == 1 ? "yes" : "no")), shared mode "
                + "adds **\(BenchFormat.ms(tls50)) ms at p50 and \(BenchFormat.ms(tls99)) ms at p99** more than over plain TCP."
        }
        let summary = """
            The same open-loop load (\(Int(rate)) req/s, alternating rounds) straight at a simulated region that \
            announces a rate limit of 5,000 req/s, through a Ballast running alone, and through one in shared mode \
            against a real `redis-server` on loopback (its rate allowance leased from the shared bucket, overrides, rule \
            decisions and membership through Redis, heartbeat and reconciliation every second; backend up: \(up == 1 ? "yes" : "no")). Shared mode adds \
            **\(BenchFormat.ms(extra50)) ms at p50 and \(BenchFormat.ms(extra99)) ms at p99** over Ballast alone, and \
            makes **\(String(format: "%.3f", tripsPerRequest)) Redis round trips per client request** (target: well \
            under 1; leases come in batches and are refilled ahead of need, off the request path).
            """ + tlsText
        return BenchSection(scenario: name, title: "Shared mode through Redis", summary: summary, tables: [table], figures: figures)
    }

    /// A metric's value summed over its series, from the admin listener.
    static func counter(_ name: String, admin: String, client: UpstreamClient) async -> Double {
        let collector = ResponseCollector()
        client.submit(UpstreamRequest(method: "GET", url: "http://\(admin)/metrics"), delegate: collector)
        let text = await collector.result().text
        return text.split(separator: "\n").filter { $0.hasPrefix(name) }.compactMap { line in
            line.split(separator: " ").last.flatMap { Double($0) }
        }.reduce(0, +)
    }
}
