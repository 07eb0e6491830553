import BallastCore
import Foundation
import Metrics
import Telemetry

/// Telemetry's own costs: how many records per second the SQLite writer sustains (against
/// plain prepared inserts into one table, the library's ceiling, in the same run), how long
/// `/metrics` takes to render with 20 regions x 10 models, and how long a window query over
/// one hour of per-second rollups takes.
struct TelemetryScenario: BenchScenario {
    let name = "telemetry"

    func run(_ context: BenchContext) async throws -> BenchSection {
        let records = max(20_000, Int(200_000 * context.scale))
        context.log("telemetry: writer, \(records) records")
        let writerPath = context.directory.appendingPathComponent("telemetry-writer.db").path
        let writer = try TelemetryBenchmark.measureWrites(path: writerPath, records: records, seed: context.seed)
        let baseline = try Self.plainInserts(path: context.directory.appendingPathComponent("plain.db").path,
                                             rows: records)

        context.log("telemetry: /metrics with 20 regions x 10 models")
        let render = Self.metricsRender()

        context.log("telemetry: window query over 1 h")
        let hourPath = context.directory.appendingPathComponent("telemetry-hour.db").path
        _ = try TelemetryBenchmark.measureWrites(path: hourPath, records: 3_600 * 20, simulatedRate: 20, seed: context.seed)
        let store = try TelemetryStore(path: hourPath)
        let windows = try TelemetryWindows(store: store)
        var queryTimes: [Double] = []
        for _ in 0..<30 {
            let start = SystemClock().now()
            _ = try windows.stats(last: 3_600)
            queryTimes.append(SystemClock().now().seconds(since: start))
        }
        queryTimes.sort()
        let queryMedian = queryTimes[queryTimes.count / 2]

        let table = BenchTable(columns: ["measure", "value", "baseline in this run", "ratio", "target"], rows: [
            ["records written per second (rows + attempts + rollups, batched)", BenchFormat.rate(writer.recordsPerSecond),
             "\(BenchFormat.rate(baseline)) plain prepared inserts/s into one table",
             BenchFormat.ratio(writer.recordsPerSecond / baseline), ">= 100,000/s"],
            ["`/metrics` render, 20 regions x 10 models (median of 50)", "\(BenchFormat.ms(render.median * 1000)) ms",
             "\(render.lines) lines", "", "<= 5 ms"],
            ["window query over 1 h of second rollups (median of 30)", "\(BenchFormat.ms(queryMedian * 1000)) ms",
             "72,000 requests in the hour", "", "<= 5 ms"],
        ])
        let summary = """
            The writer sustained **\(BenchFormat.rate(writer.recordsPerSecond)) records/s** \
            (\(BenchFormat.ratio(writer.recordsPerSecond / baseline)) of plain single-table inserts in the same run, \
            which write no attempts and no rollups). `/metrics` rendered in \
            **\(BenchFormat.ms(render.median * 1000)) ms**; a one-hour window query took \
            **\(BenchFormat.ms(queryMedian * 1000)) ms**. The request-path cost of recording (telemetry on vs \
            `store.record_requests: false`) is measured in the `overhead` scenario.
            """
        return BenchSection(scenario: name, title: "Telemetry", summary: summary, tables: [table],
                            figures: ["writer_records_per_second": writer.recordsPerSecond,
                                      "plain_inserts_per_second": baseline,
                                      "metrics_render_ms": render.median * 1000,
                                      "window_query_1h_ms": queryMedian * 1000])
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
        let attempts = registry.counter("ballast_upstream_attempts_total", help: "Attempts.",
                                        labels: ["region", "model", "class", "code"])
        let latency = registry.histogram("ballast_request_duration_seconds", help: "Latency.", labels: ["region", "model"],
                                         bounds: LatencyBuckets.bounds)
        let ttfb = registry.histogram("ballast_time_to_first_byte_seconds", help: "TTFB.", labels: ["region", "model"],
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
