import BallastCore
import SQLite

/// What `ballast stats` shows for a time range: per region and model, the traffic and its
/// quality, and the audit trail of actions, read from the store's rollups and audit table.
public struct TelemetrySummary: Sendable {
    public struct Row: Sendable, Equatable {
        public var region: String
        public var model: String
        public var requests: Int
        public var rate: Double
        public var successRatio: Double?
        public var p50: Double?
        public var p99: Double?
        public var rateLimited: Int
        public var retries: Int
        public var hedged: Int
        public var cacheHits: Int
    }

    public var since: Double
    public var until: Double
    public var rows: [Row]
    /// The actions of the period, oldest first.
    public var actions: [AuditEntry]

    /// Reads the summary of the last `length` seconds before `now` (wall time).
    public static func read(store: TelemetryStore, length: Double, now: Double) throws -> TelemetrySummary {
        let windows = try TelemetryWindows(store: store)
        let database = try store.openConnection()
        let since = now - length
        var pairs: [(String, String)] = []
        let distinct = try database.prepare(
            "SELECT DISTINCT region, model FROM rollup_minute WHERE bucket >= ? ORDER BY region, model")
        try distinct.bind(Int((since / 60).rounded(.down)) * 60, at: 1)
        try distinct.query { row in pairs.append((row.string(at: 0) ?? "", row.string(at: 1) ?? "")) }
        var rows: [Row] = []
        for (region, model) in pairs {
            let stats = try windows.stats(last: length, filter: TelemetryFilter(region: region, model: model), wallTime: now)
            guard stats.requests > 0 else { continue }
            rows.append(
                Row(
                    region: region.isEmpty ? "-" : region, model: model.isEmpty ? "-" : model,
                    requests: stats.requests, rate: stats.rate, successRatio: stats.ratio([.success]),
                    p50: stats.latencyQuantile(0.5), p99: stats.latencyQuantile(0.99),
                    rateLimited: stats.counts.status429, retries: stats.counts.retries,
                    hedged: stats.counts.hedged, cacheHits: stats.counts.cacheHits))
        }
        let actions = try AuditLog(store: store).entries(since: since, until: now, limit: Int.max).reversed()
        return TelemetrySummary(since: since, until: now, rows: rows, actions: Array(actions))
    }
}
