import BallastCore
import BallastTesting
import Foundation
import Telemetry
import Testing

/// Throughput and latency figures, printed rather than asserted (the machine varies).
/// Off by default; `BALLAST_TELEMETRY_PERF=1 swift test -c release --filter TelemetryPerformance`.
@Suite("Telemetry performance", .enabled(if: ProcessInfo.processInfo.environment["BALLAST_TELEMETRY_PERF"] == "1"))
struct TelemetryPerformanceTests {
    @Test("write throughput")
    func writes() throws {
        let directory = try TemporaryDirectory()
        for round in 0 ..< 3 {
            let result = try TelemetryBenchmark.measureWrites(path: directory.path("bench\(round).db"), records: 100_000)
            print(String(format: "telemetry write: %d records (+%d attempts) in %.3f s = %.0f records/s, %d batches, %d buffer-full waits, %.1f MB",
                         result.records, result.attempts, result.seconds, result.recordsPerSecond, result.batches,
                         result.bufferFullRetries, Double(result.fileBytes) / 1e6))
        }
    }

    @Test("window query over an hour of second rollups")
    func windowQuery() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock(wallTime: 1_700_000_000.5)
        let store = try TelemetryStore(path: directory.path("w.db"), clock: clock)
        // One hour at 20 requests/s over 2 regions x 3 models: every second has a row for
        // each of the 6 combinations (21,600 second rows, 360 minute rows).
        let writer = try TelemetryWriter(store: store, options: TelemetryWriterOptions(memorySeconds: 300), clock: clock)
        var random = SeededRandom(seed: 1)
        let now = clock.wallTime()
        for index in 0 ..< 72_000 {
            let completion = now - 3_600 + Double(index) / 20
            let latency = 0.1 + 10 * random.unit()
            let region = ["primary", "secondary"][index % 2]
            let model = ["a", "b", "c"][(index / 2) % 3]
            writer.submit(RequestRecord(time: completion - latency, region: region, model: model, status: 200,
                                        outcome: random.unit() < 0.95 ? .success : .upstream, latency: latency,
                                        timeToFirstByte: latency / 3))
        }
        writer.flush()
        print("second rows:", try store.scalar("SELECT count(*) FROM rollup_second") ?? "?",
              "minute rows:", try store.scalar("SELECT count(*) FROM rollup_minute") ?? "?")

        let live = try TelemetryWindows(store: store, writer: writer)
        let disk = try TelemetryWindows(store: store, clock: clock)
        func time(_ label: String, runs: Int = 50, _ body: () throws -> Void) rethrows {
            var samples: [Double] = []
            for _ in 0 ..< runs {
                let start = DispatchTime.now().uptimeNanoseconds
                try body()
                samples.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e6)
            }
            samples.sort()
            print(String(format: "%@: median %.3f ms, p90 %.3f ms (%d runs)", label, samples[runs / 2],
                         samples[runs * 9 / 10], runs))
        }
        try time("window 1 h, all, ring + disk") { _ = try live.stats(last: 3_600) }
        try time("window 1 h, all, disk only (minutes + edge seconds)") { _ = try disk.stats(last: 3_600) }
        try time("window 1 h, region+model, disk only") {
            _ = try disk.stats(last: 3_600, filter: TelemetryFilter(region: "primary", model: "a"))
        }
        try time("window 60 s, all, ring") { _ = try live.stats(last: 60) }
        try time("window 10 s, region, ring") { _ = try live.stats(last: 10, filter: TelemetryFilter(region: "primary")) }
        try time("consecutive failures, region") { _ = try live.consecutiveFailures(filter: TelemetryFilter(region: "primary")) }

        // The same hour summed from the 21,600 second rows alone, as a plain SQL scan plus
        // histogram decoding, for comparison with the minute-based plan.
        let connection = try store.openConnection()
        let last = Int(now.rounded(.down))
        let scan = try connection.prepare("""
            SELECT requests, latency_hist, ttfb_hist FROM rollup_second WHERE bucket BETWEEN ?1 AND ?2
            """)
        try time("window 1 h, all, every second row (SQL scan + decode)", runs: 20) {
            try scan.bind(last - 3_599, at: 1)
            try scan.bind(last, at: 2)
            var requests = 0
            var latency = LatencyHistogram()
            var ttfb = LatencyHistogram()
            try scan.query { row in
                requests += row.int(at: 0)
                _ = row.withUTF8(at: 1) { latency.merge(encoded: $0) }
                _ = row.withUTF8(at: 2) { ttfb.merge(encoded: $0) }
            }
            #expect(requests > 0)
        }
        writer.close()
    }
}
