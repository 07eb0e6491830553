import BallastCore
import Foundation

/// Random request records from a seeded generator: every outcome class, labels including
/// none, latencies across every bucket (including +Inf), some 429s and retried attempts.
struct RecordGenerator {
    var random: SeededRandom
    var regions: [String?] = ["primary", "secondary", nil]
    var models: [String?] = ["claude-sonnet-4-5", "claude-haiku-4-5", nil]

    init(seed: UInt64) {
        random = SeededRandom(seed: seed)
    }

    mutating func pick<T>(_ values: [T]) -> T {
        values[Int(random.next() % UInt64(values.count))]
    }

    /// A latency spread over the bucket range on a log scale (0.1 ms … 1,000 s, so the
    /// +Inf bucket gets some too).
    mutating func latency() -> Double {
        pow(10, -4 + 7 * random.unit())
    }

    /// A record that completes at `completion` (approximately: time = completion - latency).
    mutating func record(completingAt completion: Double) -> (RequestRecord, [AttemptRecord]) {
        let region = pick(regions)
        let model = pick(models)
        let latency = latency()
        let outcome = pick(OutcomeClass.allCases)
        let status: Int
        switch outcome {
        case .success: status = 200
        case .client: status = pick([400, 401, 429])
        case .upstream: status = pick([429, 529, 500, 503])
        case .local: status = 504
        case .ballast: status = pick([429, 503])
        }
        let attemptCount = outcome == .ballast ? 0 : 1 + Int(random.next() % 3)
        let time = completion - latency
        var attempts: [AttemptRecord] = []
        for index in 0..<attemptCount {
            let last = index == attemptCount - 1
            attempts.append(
                AttemptRecord(
                    time: time + Double(index) * 0.01, region: region ?? "primary", model: model, index: index + 1,
                    status: last ? status : pick([429, 529, 500]), outcome: last ? outcome : .upstream,
                    errorType: last ? nil : "overloaded_error", hedge: random.unit() < 0.1,
                    cancelled: random.unit() < 0.05, latency: latency / Double(attemptCount),
                    timeToFirstByte: random.unit() < 0.5 ? nil : latency / 4))
        }
        let firstByte: Double? = random.unit() < 0.2 ? nil : latency * random.unit()
        let record = RequestRecord(
            time: time, region: region, model: model, route: pick(["weighted", "failover", "hedge"]), status: status,
            outcome: outcome, errorType: outcome == .success ? nil : "api_error", attempts: attemptCount,
            hedged: random.unit() < 0.1, cacheHit: random.unit() < 0.05, coalesced: random.unit() < 0.05,
            streamed: random.unit() < 0.5, latency: latency, timeToFirstByte: firstByte,
            inputTokens: Int(random.next() % 5_000), outputTokens: Int(random.next() % 2_000),
            bytesSent: Int(random.next() % 100_000))
        return (record, attempts)
    }

    /// `count` records completing uniformly in `[end - span, end)`, in completion order.
    mutating func records(count: Int, span: Double, end: Double) -> [(RequestRecord, [AttemptRecord])] {
        var completions = (0..<count).map { _ in end - span * random.unit() - 0.0001 }
        completions.sort()
        return completions.map { record(completingAt: $0) }
    }
}
