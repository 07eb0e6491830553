public import BallastCore

/// The additive summary of a set of requests: one rollup row, one in-memory second, or a
/// whole window. Every field merges by addition, which is what lets a window be answered
/// from any mix of second rollups, minute rollups and memory.
public struct TelemetryCounts: Sendable, Hashable {
    public var requests = 0
    /// Requests per outcome class, indexed like `OutcomeClass.allCases`.
    public var outcomes: [Int] = Array(repeating: 0, count: OutcomeClass.allCases.count)
    /// Requests answered to the client with status 429.
    public var status429 = 0
    /// Upstream attempts made (the sum of `RequestRecord.attempts`).
    public var attempts = 0
    /// Upstream attempts answered with 429 (from the `AttemptRecord`s handed in).
    public var attempts429 = 0
    /// Attempts beyond the first, summed: `max(attempts - 1, 0)` per request.
    public var retries = 0
    public var hedged = 0
    public var cacheHits = 0
    public var inputTokens = 0
    public var outputTokens = 0
    /// Sum of latencies in seconds (the Prometheus histogram `_sum`).
    public var latencySum = 0.0
    /// Sum of times to first byte, over the requests that had one.
    public var ttfbSum = 0.0
    public var latency = LatencyHistogram()
    public var ttfb = LatencyHistogram()

    public init() {}

    /// Requests that ended in `outcome`.
    public func count(_ outcome: OutcomeClass) -> Int {
        outcomes[outcome.countIndex]
    }

    /// Requests that ended in any of `classes`.
    public func count(_ classes: Set<OutcomeClass>) -> Int {
        classes.reduce(0) { $0 + outcomes[$1.countIndex] }
    }

    /// Adds one request and its attempts.
    public mutating func add(_ record: RequestRecord, attempts attemptRecords: [AttemptRecord]) {
        requests += 1
        outcomes[record.outcome.countIndex] += 1
        if record.status == 429 { status429 += 1 }
        attempts += max(record.attempts, 0)
        for attempt in attemptRecords where attempt.status == 429 { attempts429 += 1 }
        retries += max(record.attempts - 1, 0)
        if record.hedged { hedged += 1 }
        if record.cacheHit { cacheHits += 1 }
        inputTokens += record.inputTokens
        outputTokens += record.outputTokens
        latencySum += record.latency
        latency.record(record.latency)
        if let firstByte = record.timeToFirstByte {
            ttfbSum += firstByte
            ttfb.record(firstByte)
        }
    }

    public mutating func merge(_ other: TelemetryCounts) {
        requests += other.requests
        for index in outcomes.indices { outcomes[index] += other.outcomes[index] }
        status429 += other.status429
        attempts += other.attempts
        attempts429 += other.attempts429
        retries += other.retries
        hedged += other.hedged
        cacheHits += other.cacheHits
        inputTokens += other.inputTokens
        outputTokens += other.outputTokens
        latencySum += other.latencySum
        ttfbSum += other.ttfbSum
        latency.merge(other.latency)
        ttfb.merge(other.ttfb)
    }
}
