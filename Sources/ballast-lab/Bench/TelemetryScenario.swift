import BallastCore
import Foundation
import Metrics
import Telemetry
import SQLite
import BallastSimulator

/// Telemetry's own costs: how many records per second the SQLite writer sustains (against
/// plain prepared inserts into one table, the library's ceiling, in the same run), how long
/// `/metrics` takes to render with 20 regions x 10 models, and how long window queries over
/// one hour of per-second rollups take (from disk, through a live writer's ring, for one
/// series, against a scan of every second row). Figures only here: no unit test times them.
struct TelemetryScenario: BenchScenario {
    let name = "telemetry"

    func run(_ context: BenchContext) async throws -> BenchSection {
        let records = max(20_000, Int(200_000 * context.scale))
        context.log("telemetry: writer, \(records) records")
        let writerPath = context.directory.appendingPathComponent("telemetry-writer.db").path
        let writer = try TelemetryBenchmark.measureWrites(path: writerPath, records: records, seed: context.seed)
        let baseline = try Self.plainInserts(
            path: context.directory.appendingPathComponent("plain.db").path,
            rows: records)

        context.log("telemetry: /metrics with 20 regions x 10 models")
        let render = Self.metricsRender()

        context.log("telemetry: window query over 1 h")
        let hourPath = context.directory.appendingPathComponent("telemetry-hour.db").path
        _ = try TelemetryBenchmark.measureWrites(path: hourPath, records: 3_600 * 20, simulatedRate: 20, seed: context.seed)
        let store = try TelemetryStore(path: hourPath)
        let windows = try TelemetryWindows(store: store)
        let queryMedian = try Self.median(runs: 30) { _ = try windows.stats(last: 3_600) }
        let oneSeries = TelemetryFilter(region: "primary", model: "claude-sonnet-4-5")
        let oneSeriesMedian = try Self.median(runs: 30) { _ = try windows.stats(last: 3_600, filter: oneSeries) }
        // The gateway's path: a writer opened on the hour rebuilds its in-memory ring (the last
        // 300 s) from SQLite; recent seconds come from it, older ones from disk.
        let hourWriter = try TelemetryWriter(store: store)
        defer { hourWriter.close() }
        let live = try TelemetryWindows(store: store, writer: hourWriter)
        let liveHourMedian = try Self.median(runs: 30) { _ = try live.stats(last: 3_600) }
        let ringMinuteMedian = try Self.median(runs: 30) { _ = try live.stats(last: 60) }
        let primary = TelemetryFilter(region: "primary")
        let streakMedian = try Self.median(runs: 30) { _ = try live.consecutiveFailures(filter: primary) }
        // What the minute rollups save: the same hour summed from its 3,600 x 6 second rows.
        let scanMedian = try Self.secondRowScan(store: store, runs: 10)
        let table = BenchTable(
            columns: ["measure", "value", "baseline in this run", "ratio", "target"],
            rows: [
                [
                    "records written per second (rows + attempts + rollups, batched)", BenchFormat.rate(writer.recordsPerSecond),
                    "\(BenchFormat.rate(baseline)) plain prepared inserts/s into one table",
                    BenchFormat.ratio(writer.recordsPerSecond / baseline), ">= 100,000/s",
                ],
                [
                    "`/metrics` render, 20 regions x 10 models (median of 50)", "\(BenchFormat.ms(render.median * 1000)) ms",
                    "\(render.lines) lines", "", "<= 5 ms",
                ],
                [
                    "window query over 1 h of second rollups (median of 30)", "\(BenchFormat.ms(queryMedian * 1000)) ms",
                    "72,000 requests in the hour", "", "<= 5 ms",
                ],
                ["the same, one region and model", "\(BenchFormat.ms(oneSeriesMedian * 1000)) ms", "", "", ""],
                [
                    "the same with a writer (its 300 s ring in memory, the rest from disk)", "\(BenchFormat.ms(liveHourMedian * 1000)) ms",
                    "", "", "",
                ],
                ["window query over 60 s, from the ring", "\(BenchFormat.ms(ringMinuteMedian * 1000)) ms", "", "", ""],
                ["`consecutiveFailures`, one region", "\(BenchFormat.ms(streakMedian * 1000)) ms", "", "", ""],
                [
                    "for comparison: the hour summed from every second row (SQL scan + decode, median of 10)",
                    "\(BenchFormat.ms(scanMedian * 1000)) ms", "\(BenchFormat.ms(queryMedian * 1000)) ms with minute rows",
                    BenchFormat.ratio(scanMedian / queryMedian), "",
                ],
            ])
        let summary = """
            The writer sustained **\(BenchFormat.rate(writer.recordsPerSecond)) records/s** \
            (\(BenchFormat.ratio(writer.recordsPerSecond / baseline)) of plain single-table inserts in the same run, \
            which write no attempts and no rollups). `/metrics` rendered in \
            **\(BenchFormat.ms(render.median * 1000)) ms**; a one-hour window query took \
            **\(BenchFormat.ms(queryMedian * 1000)) ms**. The request-path cost of recording (telemetry on vs \
            `store.record_requests: false`) is measured in the `overhead` scenario.
            """
        return BenchSection(
            scenario: name, title: "Telemetry", summary: summary, tables: [table],
            figures: [
                "writer_records_per_second": writer.recordsPerSecond,
                "plain_inserts_per_second": baseline,
                "metrics_render_ms": render.median * 1000,
                "window_query_1h_ms": queryMedian * 1000,
                "window_query_1h_one_series_ms": oneSeriesMedian * 1000,
                "window_query_1h_with_writer_ms": liveHourMedian * 1000,
                "window_query_60s_ring_ms": ringMinuteMedian * 1000,
                "consecutive_failures_ms": streakMedian * 1000,
                "second_row_scan_1h_ms": scanMedian * 1000,
            ])
    }

    /// The median time of `runs` calls of `body`, in seconds.
    static func median(runs: Int, _ body: () throws -> Void) rethrows -> Double {
        var times: [Double] = []
        for _ in 0..<runs {
            let start = SystemClock().now()
            try body()
            times.append(SystemClock().now().seconds(since: start))
        }
        times.sort()
        return times[times.count / 2]
    }

    /// The last hour summed from `rollup_second` alone, decoding every row's histograms: the
    /// plan the minute rollups replace.
    static func secondRowScan(store: TelemetryStore, runs: Int) throws -> Double {
        let connection = try store.openConnection()
        let scan = try connection.prepare("SELECT requests, latency_hist, ttfb_hist FROM rollup_second WHERE bucket BETWEEN ?1 AND ?2")
        let last = Int(SystemClock().wallTime().rounded(.down))
        return try median(runs: runs) {
            try scan.bind(last - 3_599, at: 1)
            try scan.bind(last, at: 2)
            var requests = 0
            var latency = LatencyHistogram(), ttfb = LatencyHistogram()
            try scan.query { row in
                requests += row.int(at: 0)
                _ = row.withUTF8(at: 1) { latency.merge(encoded: $0) }
                _ = row.withUTF8(at: 2) { ttfb.merge(encoded: $0) }
            }
            precondition(requests > 0, "the hour's second rows are missing")
        }
    }

    /// Prepared inserts into one plain table, 500 rows per transaction: what SQLite itself
    /// allows on this machine.
    static func plainInserts(path: String, rows: Int) throws -> Double {
        let database = try SQLiteDatabase(path: path)
        _ = try database.pragma("journal_mode=WAL")
        try database.execute("PRAGMA synchronous=NORMAL")
        try database.execute("CREATE TABLE t (time REAL, region TEXT, status INTEGER, latency REAL)")
        let insert = try database.prepare("INSERT INTO t VALUES (?, ?, ?, ?)")
        let start = SystemClock().now()
        var written = 0
        while written < rows {
            try database.transaction {
                for index in 0..<min(500, rows - written) {
                    try insert.bind(Double(written + index), at: 1)
                    try insert.bind("primary", at: 2)
                    try insert.bind(200, at: 3)
                    try insert.bind(0.25, at: 4)
                    try insert.execute()
                }
            }
            written += 500
        }
        return Double(rows) / SystemClock().now().seconds(since: start)
    }

    /// A registry shaped like the gateway's, filled for 20 regions x 10 models.
    static func metricsRender() -> (median: Double, lines: Int) {
        let registry = MetricsRegistry()
        let requests = registry.counter("ballast_requests_total", help: "Requests.", labels: ["region", "model", "class", "code"])
        let attempts = registry.counter(
            "ballast_upstream_attempts_total", help: "Attempts.",
            labels: ["region", "model", "class", "code"])
        let latency = registry.histogram(
            "ballast_request_duration_seconds", help: "Latency.", labels: ["region", "model"],
            bounds: LatencyBuckets.bounds)
        let ttfb = registry.histogram(
            "ballast_time_to_first_byte_seconds", help: "TTFB.", labels: ["region", "model"],
            bounds: LatencyBuckets.bounds)
        for region in 0..<20 {
            for model in 0..<10 {
                for (outcome, code) in [("success", "200"), ("upstream", "529"), ("client", "400")] {
                    requests.labels("region-\(region)", "model-\(model)", outcome, code).increment(by: 100)
                    attempts.labels("region-\(region)", "model-\(model)", outcome, code).increment(by: 110)
                }
                latency.labels("region-\(region)", "model-\(model)").observe(0.4)
                ttfb.labels("region-\(region)", "model-\(model)").observe(0.1)
            }
        }
        var times: [Double] = []
        var lines = 0
        for _ in 0..<50 {
            let start = SystemClock().now()
            let text = registry.render()
            times.append(SystemClock().now().seconds(since: start))
            lines = text.split(separator: "\n").count
        }
        times.sort()
        return (times[times.count / 2], lines)
    }
}
