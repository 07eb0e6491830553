import BallastCore
import SQLite

extension TelemetryCounts {
    /// The rollup tables' value columns, in the order `init(row:table:)` reads and
    /// `bind(to:from:)` binds them.
    static let rollupColumns = [
        "requests", "outcome_success", "outcome_client", "outcome_upstream", "outcome_local", "outcome_ballast",
        "status_429", "attempts", "attempts_429", "retries", "hedged", "cache_hits", "input_tokens",
        "output_tokens", "latency_sum", "ttfb_sum", "latency_hist", "ttfb_hist",
    ]

    /// Reads the value columns starting at column `first`.
    init(row: SQLiteRow, first: Int32, table: String) throws {
        self.init()
        var column = first
        func next() -> Int {
            defer { column += 1 }
            return row.int(at: column)
        }
        requests = next()
        for index in outcomes.indices { outcomes[index] = next() }
        status429 = next()
        attempts = next()
        attempts429 = next()
        retries = next()
        hedged = next()
        cacheHits = next()
        inputTokens = next()
        outputTokens = next()
        latencySum = row.double(at: column)
        ttfbSum = row.double(at: column + 1)
        column += 2
        try Self.mergeHistogram(&latency, row: row, column: column, table: table)
        try Self.mergeHistogram(&ttfb, row: row, column: column + 1, table: table)
    }

    private static func mergeHistogram(
        _ histogram: inout LatencyHistogram, row: SQLiteRow, column: Int32,
        table: String
    ) throws {
        let ok = row.withUTF8(at: column) { histogram.merge(encoded: $0) }
        guard ok else {
            throw TelemetryStoreError.corruptHistogram(table: table, text: row.string(at: column) ?? "")
        }
    }

    /// Binds the value columns to parameters `first`, `first + 1`, ….
    func bind(to statement: SQLiteStatement, from first: Int32) throws {
        var parameter = first
        func next(_ value: Int) throws {
            try statement.bind(value, at: parameter)
            parameter += 1
        }
        try next(requests)
        for count in outcomes { try next(count) }
        try next(status429)
        try next(attempts)
        try next(attempts429)
        try next(retries)
        try next(hedged)
        try next(cacheHits)
        try next(inputTokens)
        try next(outputTokens)
        try statement.bind(latencySum, at: parameter)
        try statement.bind(ttfbSum, at: parameter + 1)
        try statement.bind(latency.encoded, at: parameter + 2)
        try statement.bind(ttfb.encoded, at: parameter + 3)
    }
}
