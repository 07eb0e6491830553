import BallastCore
import Telemetry
import SQLite

/// One `requests` row read back with plain SQL, for computing expected answers
/// independently of the rollup code.
struct RawRow {
    var id: Int64
    var time: Double
    var region: String?
    var model: String?
    var status: Int
    var outcome: OutcomeClass
    var attempts: Int
    var hedged: Bool
    var cacheHit: Bool
    var latency: Double
    var ttfb: Double?
    var inputTokens: Int
    var outputTokens: Int
    /// Attempts of this request answered 429 (from the attempts table).
    var attempts429: Int

    /// The second the request completed in.
    var second: Int { Int((time + latency).rounded(.down)) }

    /// Every request row, in id order, with its 429 attempts counted.
    static func readAll(from store: TelemetryStore) throws -> [RawRow] {
        let database = try store.openConnection()
        var throttled: [Int64: Int] = [:]
        try database.prepare("SELECT request_id, count(*) FROM attempts WHERE status = 429 GROUP BY request_id")
            .query { row in throttled[row.int64(at: 0)] = row.int(at: 1) }
        var rows: [RawRow] = []
        try database.prepare(
            """
            SELECT id, time, region, model, status, outcome, attempts, hedged, cache_hit, latency, ttfb,
                   input_tokens, output_tokens
            FROM requests ORDER BY id
            """
        ).query { row in
            let id = row.int64(at: 0)
            rows.append(
                RawRow(
                    id: id, time: row.double(at: 1), region: row.string(at: 2), model: row.string(at: 3),
                    status: row.int(at: 4), outcome: OutcomeClass(rawValue: row.string(at: 5) ?? "") ?? .ballast,
                    attempts: row.int(at: 6), hedged: row.int(at: 7) != 0, cacheHit: row.int(at: 8) != 0,
                    latency: row.double(at: 9), ttfb: row.isNull(at: 10) ? nil : row.double(at: 10),
                    inputTokens: row.int(at: 11), outputTokens: row.int(at: 12), attempts429: throttled[id] ?? 0))
        }
        return rows
    }

    /// The row a record becomes (for checking against what was submitted).
    init(id: Int64, record: RequestRecord, attempts: [AttemptRecord]) {
        self.init(
            id: id, time: record.time, region: record.region, model: record.model, status: record.status,
            outcome: record.outcome, attempts: record.attempts, hedged: record.hedged, cacheHit: record.cacheHit,
            latency: record.latency, ttfb: record.timeToFirstByte, inputTokens: record.inputTokens,
            outputTokens: record.outputTokens, attempts429: attempts.filter { $0.status == 429 }.count)
    }

    init(
        id: Int64, time: Double, region: String?, model: String?, status: Int, outcome: OutcomeClass, attempts: Int,
        hedged: Bool, cacheHit: Bool, latency: Double, ttfb: Double?, inputTokens: Int, outputTokens: Int,
        attempts429: Int
    ) {
        self.id = id
        self.time = time
        self.region = region
        self.model = model
        self.status = status
        self.outcome = outcome
        self.attempts = attempts
        self.hedged = hedged
        self.cacheHit = cacheHit
        self.latency = latency
        self.ttfb = ttfb
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.attempts429 = attempts429
    }

    func matches(_ filter: TelemetryFilter) -> Bool {
        (filter.region == nil || filter.region == (region ?? "")) && (filter.model == nil || filter.model == (model ?? ""))
    }
}
