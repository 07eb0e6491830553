import BallastTesting
import Foundation
import Upstream
import BallastSimulator
import BallastCore

/// A long run at a steady rate while faults cycle through every kind the simulator has, with
/// Ballast's resident memory, open file descriptors, store size and latency sampled every
/// minute. Not part of `make bench` (it takes an hour): `make soak`, minutes from
/// `BALLAST_SOAK_MINUTES` (default 60).
///
/// The verdict is about leaks: after a ten-minute warm-up (pools, caches, rule windows and
/// the telemetry ring fill up) memory and descriptors must stay flat. The store grows until
/// its raw retention starts deleting, which a run shorter than the retention never sees.
struct SoakScenario: BenchScenario {
    let name = "soak"

    static let rate = 100.0
    /// Minutes after which nothing may grow.
    static let warmUpMinutes = 10
    /// Allowed growth of resident memory from the end of the warm-up to the end.
    static let memoryGrowthTarget = 0.05
    static let descriptorGrowthTarget = 8

    struct Minute {
        var index: Int
        var started: Int
        var succeeded: Int
        var failed: Int
        var p50: Double
        var p99: Double
        var p999: Double
        var rss: Double
        var descriptors: Int
        var storeBytes: Int
    }

    var minutes: Int {
        Int(ProcessInfo.processInfo.environment["BALLAST_SOAK_MINUTES"] ?? "") ?? 60
    }

    /// Every fault kind in one ten-minute cycle, on the primary (the standby gets the 429s):
    /// an outage (connections dropped), refused connections, a wave of 529/503 with resets,
    /// SSE error events mid-stream, a slow spell with stalls, and rate-limit answers.
    static func simulatorYAML(minutes: Int) -> String {
        var primary: [String] = []
        var standby: [String] = []
        for cycle in stride(from: 0, to: minutes, by: 10) {
            let base = cycle * 60
            primary.append("      - { at: \(base + 60)s, for: 40s, faults: { outage: true } }")
            primary.append("      - { at: \(base + 180)s, for: 40s, faults: { refuse_connections: true } }")
            primary.append(#"      - { at: \#(base + 300)s, for: 60s, faults: { error_ratio: { "529": 0.5, "503": 0.2 }, reset_ratio: 0.05 } }"#)
            primary.append("      - { at: \(base + 420)s, for: 60s, faults: { stream_error_ratio: 0.2 } }")
            primary.append(
                "      - { at: \(base + 510)s, for: 45s, latency: { first_byte: 400ms, slow_tail: { ratio: 0.2, factor: 8 }, stall: { ratio: 0.02, duration: 3s } } }"
            )
            standby.append(#"      - { at: \#(base + 555)s, for: 30s, faults: { error_ratio: { "429": 0.5 } } }"#)
        }
        let latency =
            "{ first_byte: { median: 30ms, spread: 0.3 }, token_interval: 1ms, slow_tail: { ratio: 0.02, factor: 4 }, stall: { ratio: 0.002, duration: 2s } }"
        return """
            seed: 7
            regions:
              - name: primary
                listen: 127.0.0.1:0
                latency: \(latency)
                output: { min_tokens: 10, max_tokens: 40 }
                faults: { error_ratio: { "500": 0.005 } }
                schedule:
            \(primary.joined(separator: "\n"))
              - name: standby
                listen: 127.0.0.1:0
                latency: \(latency)
                output: { min_tokens: 10, max_tokens: 40 }
                schedule:
            \(standby.joined(separator: "\n"))
            """
    }

    static func ballastYAML(primary: String, standby: String, store: String, rules: String) -> String {
        """
        listen: 127.0.0.1:0
        admin: { listen: 127.0.0.1:0 }
        store: { path: "\(store)" }
        rules: { paths: ["\(rules)"] }
        upstream:
          auth: { mode: passthrough }
          regions:
            - { name: primary, base_url: "\(primary)", weight: 100 }
            - { name: standby, base_url: "\(standby)", weight: 0 }
        """
    }

    func run(_ context: BenchContext) async throws -> BenchSection {
        let minutes = max(1, self.minutes)
        let simulator = Simulator(config: try SimulatorConfig.parse(Self.simulatorYAML(minutes: minutes), file: "<soak simulator>"))
        try simulator.start()
        defer { simulator.stop() }
        let store = context.directory.appendingPathComponent("soak.db").path
        let rules = FileManager.default.currentDirectoryPath + "/rules/*.yaml"
        let ballast = try BallastProcess(
            configYAML: Self.ballastYAML(
                primary: simulator.regions[0].baseURL, standby: simulator.regions[1].baseURL,
                store: store, rules: rules),
            directory: context.directory, environment: [:])
        defer { ballast.stop() }
        let client = context.makeLoadClient()
        defer { client.shutdown() }
        let base = "http://\(ballast.proxyAddress)/v1/messages"

        var samples: [Minute] = []
        for minute in 0..<minutes {
            let plan = LoadPlan(rate: Self.rate, duration: 60, drainTimeout: 30, seed: context.seed &+ UInt64(minute)) { index, draw in
                let stream = draw < 0.3
                let body = #"{"model":"claude-sonnet-4-6","max_tokens":64,"stream":\#(stream),"messages":[{"role":"user","content":"soak \#(index)"}]}"#
                return UpstreamRequest(
                    url: base,
                    headers: [
                        "content-type": "application/json", "x-api-key": "sk-soak",
                        "anthropic-version": "2023-06-01",
                    ],
                    body: Array(body.utf8), timeouts: UpstreamTimeouts(connect: 2, firstByte: 30, idle: 30, total: 60))
            }
            let report = await LoadGenerator(client: client).run(plan)
            let sample = Minute(
                index: minute + 1, started: report.started, succeeded: report.succeeded, failed: report.failed,
                p50: report.latencyMs(50), p99: report.latencyMs(99), p999: report.latencyMs(99.9),
                rss: ballast.residentBytes, descriptors: Self.openDescriptors(ballast.process.pid),
                storeBytes: Self.storeBytes(store))
            samples.append(sample)
            context.log(
                "soak: minute \(sample.index)/\(minutes): \(sample.succeeded)/\(sample.started) ok, p99 \(BenchFormat.ms(sample.p99)) ms, "
                    + "RSS \(BenchFormat.mib(sample.rss)), \(sample.descriptors) fds, store \(BenchFormat.mib(Double(sample.storeBytes)))")
        }
        return section(samples, minutes: minutes)
    }

    private func section(_ samples: [Minute], minutes: Int) -> BenchSection {
        let warm = samples.first { $0.index == Self.warmUpMinutes } ?? samples.first!
        let tail = samples.suffix(max(1, min(5, samples.count - warm.index)))
        let endRSS = tail.map(\.rss).reduce(0, +) / Double(tail.count)
        let memoryGrowth = (endRSS - warm.rss) / warm.rss
        // Descriptors in use swing with the connections open at the sampling instant (60 to 160
        // seen in one minute-to-minute run); a leak raises the floor, so floors are compared:
        // the five minutes after the warm-up against the last five.
        let afterWarmUp = samples.filter { $0.index >= warm.index }
        let descriptorGrowth = (afterWarmUp.suffix(5).map(\.descriptors).min() ?? 0) - (afterWarmUp.prefix(5).map(\.descriptors).min() ?? 0)
        let started = samples.map(\.started).reduce(0, +)
        let succeeded = samples.map(\.succeeded).reduce(0, +)
        let longEnough = samples.count > Self.warmUpMinutes
        let memoryVerdict =
            !longEnough
            ? "not measured (the run is shorter than the warm-up)"
            : memoryGrowth <= Self.memoryGrowthTarget ? "met" : "MISSED"
        let descriptorVerdict = !longEnough ? "not measured" : descriptorGrowth <= Self.descriptorGrowthTarget ? "met" : "MISSED"
        let table = BenchTable(
            columns: ["minute", "requests", "ok", "p50 ms", "p99 ms", "p99.9 ms", "Ballast RSS", "open fds", "store size"],
            rows: samples.map { sample in
                [
                    String(sample.index), String(sample.started), BenchFormat.percent(Double(sample.succeeded) / Double(max(1, sample.started))),
                    BenchFormat.ms(sample.p50), BenchFormat.ms(sample.p99), BenchFormat.ms(sample.p999),
                    BenchFormat.mib(sample.rss), String(sample.descriptors), BenchFormat.mib(Double(sample.storeBytes)),
                ]
            })
        let targets = BenchTable(
            columns: ["after the \(Self.warmUpMinutes)-minute warm-up", "measured", "target", "verdict"],
            rows: [
                [
                    "resident memory growth (minute \(warm.index) to the mean of the last \(tail.count))",
                    BenchFormat.percent(memoryGrowth), "<= \(BenchFormat.percent(Self.memoryGrowthTarget))", memoryVerdict,
                ],
                [
                    "open file descriptors growth (lowest of the last 5 minutes against the lowest of the first 5 after the warm-up)", String(descriptorGrowth),
                    "<= \(Self.descriptorGrowthTarget)", descriptorVerdict,
                ],
            ])
        let summary = """
            \(minutes) minutes at \(Int(Self.rate)) req/s (30% streamed) through Ballast with the shipped rules, while \
            faults cycle every ten minutes on the primary: an outage, refused connections, a 529/503 wave with resets, \
            SSE error events mid-stream, a slow spell with stalls, and 429s on the standby. Sampled at the end of each \
            minute. **\(BenchFormat.percent(Double(succeeded) / Double(max(1, started))))** of \(started) requests \
            succeeded. The store grows by design until the raw retention (`store.raw_retention`) starts deleting.
            """
        return BenchSection(
            scenario: name, title: "Soak", summary: summary, tables: [targets, table],
            figures: [
                "minutes": Double(minutes), "requests": Double(started),
                "success_ratio": Double(succeeded) / Double(max(1, started)),
                "rss_growth_after_warmup": memoryGrowth, "fd_growth_after_warmup": Double(descriptorGrowth),
                "end_rss_bytes": endRSS, "end_store_bytes": Double(samples.last?.storeBytes ?? 0),
            ])
    }

    static func openDescriptors(_ pid: Int32) -> Int {
        (try? FileManager.default.contentsOfDirectory(atPath: "/proc/\(pid)/fd").count) ?? 0
    }

    /// The database with its WAL and shared-memory files.
    static func storeBytes(_ path: String) -> Int {
        ["", "-wal", "-shm"].reduce(0) { total, suffix in
            let size = (try? FileManager.default.attributesOfItem(atPath: path + suffix)[.size] as? NSNumber)?.intValue ?? 0
            return total + size
        }
    }
}
