import BallastCore
import SQLite

/// Tokens and dollars per model, region and client for `ballast stats`, summed from the
/// store's attempt rows: every attempt the upstream billed, the overhead among them (the
/// tokens of losing hedges, discarded retries and cancelled streams), and answers whose usage
/// is unknown. Attempt rows are kept for `store.raw_retention` (24 h by default), so a range
/// longer than that shows the tokens of its last 24 h only (`covers` says from when).
public struct UsageSummary: Sendable, Equatable {
    public struct Row: Sendable, Equatable {
        public var model: String
        public var region: String
        /// The client key's name, else the credential's fingerprint.
        public var client: String
        public var inputTokens: Int
        public var outputTokens: Int
        public var cacheCreationTokens: Int
        public var cacheReadTokens: Int
        public var costUSD: Double
        public var overheadTokens: Int
        /// Successful answers (not overhead) whose usage is unknown.
        public var unknownUsage: Int

        public var totalTokens: Int { inputTokens + outputTokens + cacheCreationTokens + cacheReadTokens }
    }

    public var rows: [Row]
    /// The earliest attempt row the store still holds in the range (nil: none).
    public var covers: Double?

    public var totals: Row {
        rows.reduce(
            into: Row(
                model: "all", region: "all", client: "all", inputTokens: 0, outputTokens: 0, cacheCreationTokens: 0,
                cacheReadTokens: 0, costUSD: 0, overheadTokens: 0, unknownUsage: 0)
        ) { sum, row in
            sum.inputTokens += row.inputTokens
            sum.outputTokens += row.outputTokens
            sum.cacheCreationTokens += row.cacheCreationTokens
            sum.cacheReadTokens += row.cacheReadTokens
            sum.costUSD += row.costUSD
            sum.overheadTokens += row.overheadTokens
            sum.unknownUsage += row.unknownUsage
        }
    }

    /// Share of input tokens read from the prompt cache: cache reads over all input (plain,
    /// cache writes and cache reads); nil when there was no input.
    public var cacheEfficiency: Double? {
        let total = totals
        let input = total.inputTokens + total.cacheCreationTokens + total.cacheReadTokens
        return input > 0 ? Double(total.cacheReadTokens) / Double(input) : nil
    }

    /// The attempts that started at or after `since` (wall time).
    public static func read(store: TelemetryStore, since: Double) throws -> UsageSummary {
        let database = try store.openConnection()
        let statement = try database.prepare(
            """
            SELECT coalesce(a.model, '-'), a.region, coalesce(r.client, r.credential, '-'),
                   coalesce(sum(a.input_tokens), 0), coalesce(sum(a.output_tokens), 0),
                   coalesce(sum(a.cache_creation_tokens), 0), coalesce(sum(a.cache_read_tokens), 0),
                   coalesce(sum(a.cost_usd), 0),
                   coalesce(sum(CASE WHEN a.overhead IS NOT NULL THEN coalesce(a.input_tokens, 0) + coalesce(a.output_tokens, 0)
                       + coalesce(a.cache_creation_tokens, 0) + coalesce(a.cache_read_tokens, 0) END), 0),
                   sum(CASE WHEN a.overhead IS NULL AND a.status BETWEEN 200 AND 299 AND a.usage IS NOT NULL
                       AND a.usage <> 'complete' THEN 1 ELSE 0 END),
                   min(a.time)
            FROM attempts a LEFT JOIN requests r ON r.id = a.request_id
            WHERE a.time >= ?1
            GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
            """)
        try statement.bind(since, at: 1)
        var rows: [Row] = []
        var covers: Double?
        try statement.query { row in
            rows.append(
                Row(
                    model: row.string(at: 0) ?? "-", region: row.string(at: 1) ?? "-", client: row.string(at: 2) ?? "-",
                    inputTokens: row.int(at: 3), outputTokens: row.int(at: 4), cacheCreationTokens: row.int(at: 5),
                    cacheReadTokens: row.int(at: 6), costUSD: row.double(at: 7), overheadTokens: row.int(at: 8),
                    unknownUsage: row.int(at: 9)))
            let first = row.double(at: 10)
            covers = min(covers ?? first, first)
        }
        return UsageSummary(rows: rows, covers: covers)
    }
}
