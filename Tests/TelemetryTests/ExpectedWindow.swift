import BallastCore
import Telemetry
import Testing

/// A window's answer computed the plain way: loop over raw rows, count.
struct ExpectedWindow {
    var requests = 0
    var perClass: [OutcomeClass: Int] = [:]
    var status429 = 0
    var attempts = 0
    var attempts429 = 0
    var retries = 0
    var hedged = 0
    var cacheHits = 0
    var inputTokens = 0
    var outputTokens = 0
    var latencySum = 0.0
    var ttfbSum = 0.0
    var latency = Array(repeating: 0, count: LatencyBuckets.count)
    var ttfb = Array(repeating: 0, count: LatencyBuckets.count)

    init(rows: [RawRow], filter: TelemetryFilter, seconds: ClosedRange<Int>) {
        for row in rows where row.matches(filter) && seconds.contains(row.second) {
            requests += 1
            perClass[row.outcome, default: 0] += 1
            if row.status == 429 { status429 += 1 }
            attempts += row.attempts
            attempts429 += row.attempts429
            retries += max(row.attempts - 1, 0)
            if row.hedged { hedged += 1 }
            if row.cacheHit { cacheHits += 1 }
            inputTokens += row.inputTokens
            outputTokens += row.outputTokens
            latencySum += row.latency
            latency[bucket(row.latency)] += 1
            if let firstByte = row.ttfb {
                ttfbSum += firstByte
                ttfb[bucket(firstByte)] += 1
            }
        }
    }

    /// The bucket index by linear search (independent of `LatencyBuckets.index`).
    private func bucket(_ seconds: Double) -> Int {
        LatencyBuckets.bounds.firstIndex { seconds <= $0 } ?? LatencyBuckets.bounds.count
    }

    /// Checks `stats` against this, field by field, so a failure names the field.
    func check(_ stats: WindowStats, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
        let counts = stats.counts
        #expect(counts.requests == requests, "\(label): requests", sourceLocation: sourceLocation)
        for outcome in OutcomeClass.allCases {
            #expect(
                counts.count(outcome) == perClass[outcome, default: 0], "\(label): \(outcome)",
                sourceLocation: sourceLocation)
        }
        #expect(counts.status429 == status429, "\(label): status429", sourceLocation: sourceLocation)
        #expect(counts.attempts == attempts, "\(label): attempts", sourceLocation: sourceLocation)
        #expect(counts.attempts429 == attempts429, "\(label): attempts429", sourceLocation: sourceLocation)
        #expect(counts.retries == retries, "\(label): retries", sourceLocation: sourceLocation)
        #expect(counts.hedged == hedged, "\(label): hedged", sourceLocation: sourceLocation)
        #expect(counts.cacheHits == cacheHits, "\(label): cacheHits", sourceLocation: sourceLocation)
        #expect(counts.inputTokens == inputTokens, "\(label): inputTokens", sourceLocation: sourceLocation)
        #expect(counts.outputTokens == outputTokens, "\(label): outputTokens", sourceLocation: sourceLocation)
        #expect(
            abs(counts.latencySum - latencySum) <= 1e-6 * max(1, latencySum), "\(label): latencySum",
            sourceLocation: sourceLocation)
        #expect(
            abs(counts.ttfbSum - ttfbSum) <= 1e-6 * max(1, ttfbSum), "\(label): ttfbSum",
            sourceLocation: sourceLocation)
        #expect(counts.latency.counts == latency, "\(label): latency histogram", sourceLocation: sourceLocation)
        #expect(counts.ttfb.counts == ttfb, "\(label): ttfb histogram", sourceLocation: sourceLocation)

        // Derived figures.
        let failures = requests - perClass[.success, default: 0]
        #expect(
            stats.errorRatio == (requests > 0 ? Double(failures) / Double(requests) : nil), "\(label): errorRatio",
            sourceLocation: sourceLocation)
        #expect(
            stats.ratio429 == (requests > 0 ? Double(status429) / Double(requests) : nil), "\(label): ratio429",
            sourceLocation: sourceLocation)
        #expect(stats.rate == Double(requests) / stats.length, "\(label): rate", sourceLocation: sourceLocation)
        for q in [0.5, 0.9, 0.99] {
            #expect(
                stats.latencyQuantile(q) == LatencyBuckets.quantile(q, counts: latency), "\(label): p\(q)",
                sourceLocation: sourceLocation)
            #expect(
                stats.ttfbQuantile(q) == LatencyBuckets.quantile(q, counts: ttfb), "\(label): ttfb p\(q)",
                sourceLocation: sourceLocation)
        }
    }
}

/// Checks two answers are the same (sums of doubles may differ in the last bits: they were
/// added in a different order).
func expectSame(_ a: WindowStats, _ b: WindowStats, _ label: String, sourceLocation: SourceLocation = #_sourceLocation) {
    var left = a.counts
    var right = b.counts
    #expect(
        abs(left.latencySum - right.latencySum) <= 1e-6 * max(1, left.latencySum), "\(label): latencySum",
        sourceLocation: sourceLocation)
    #expect(
        abs(left.ttfbSum - right.ttfbSum) <= 1e-6 * max(1, left.ttfbSum), "\(label): ttfbSum",
        sourceLocation: sourceLocation)
    left.latencySum = 0
    right.latencySum = 0
    left.ttfbSum = 0
    right.ttfbSum = 0
    #expect(left == right, "\(label)", sourceLocation: sourceLocation)
    #expect(
        a.firstSecond == b.firstSecond && a.lastSecond == b.lastSecond, "\(label): bounds",
        sourceLocation: sourceLocation)
}

/// The streak computed from raw rows: newest first, stop at the first non-failure.
func expectedStreak(_ rows: [RawRow], filter: TelemetryFilter, failing: Set<OutcomeClass>) -> Int {
    var count = 0
    for row in rows.sorted(by: { $0.id > $1.id }) where row.matches(filter) {
        guard failing.contains(row.outcome) else { break }
        count += 1
    }
    return count
}
