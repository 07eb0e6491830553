import BallastCore
import Foundation
public import Telemetry

/// Write throughput of the telemetry path, for `ballast-lab bench`: how many request records per
/// second the writer commits (rows, attempts and rollups) when handed off as fast as
/// possible. Window-query timing needs no helper: time `TelemetryWindows.stats` calls.
public enum TelemetryBenchmark {
    /// Writes `records` synthetic request records (each with one or two attempts) into a new
    /// store at `path` and returns the rate at which they were committed.
    ///
    /// Records are generated before timing starts, with completion times spread at
    /// `simulatedRate` per second ending now, over `regions` × `models`, so the rollups see
    /// realistic bucket counts. When the buffer is full the benchmark waits 100 µs and
    /// retries (counted), so the figure is the sustained rate of the writer, not of dropping.
    public static func measureWrites(
        path: String, records: Int, regions: [String] = ["primary", "secondary"],
        models: [String] = ["claude-sonnet-4-5", "claude-haiku-4-5", "claude-opus-4-1"],
        simulatedRate: Double = 1_000, seed: UInt64 = 1,
        options: TelemetryWriterOptions = TelemetryWriterOptions()
    ) throws
        -> TelemetryBenchmarkResult
    {
        let clock = SystemClock()
        let store = try TelemetryStore(path: path, clock: clock)
        let writer = try TelemetryWriter(store: store, options: options, clock: clock)
        defer { writer.close() }

        let batch = makeRecords(
            count: records, regions: regions, models: models, rate: simulatedRate,
            end: clock.wallTime(), seed: seed)
        let before = writer.stats
        var retries = 0
        let start = clock.now()
        for (record, attempts) in batch {
            while !writer.submit(record, attempts: attempts) {
                retries += 1
                usleep(100)
            }
        }
        writer.flush()
        let seconds = clock.now().seconds(since: start)
        let after = writer.stats
        writer.close()

        var bytes = 0
        for suffix in ["", "-wal"] {
            let attributes = try? FileManager.default.attributesOfItem(atPath: path + suffix)
            bytes += (attributes?[.size] as? NSNumber)?.intValue ?? 0
        }
        return TelemetryBenchmarkResult(
            records: after.written - before.written, attempts: after.attemptsWritten - before.attemptsWritten,
            seconds: seconds, bufferFullRetries: retries,
            batches: after.batches - before.batches, fileBytes: bytes)
    }

    static func makeRecords(
        count: Int, regions: [String], models: [String], rate: Double, end: Double,
        seed: UInt64
    ) -> [(RequestRecord, [AttemptRecord])] {
        var random = SeededRandom(seed: seed)
        let regions = regions.isEmpty ? ["primary"] : regions
        let models = models.isEmpty ? ["model"] : models
        let spacing = 1 / max(rate, 1e-3)
        let start = end - Double(count) * spacing
        var result: [(RequestRecord, [AttemptRecord])] = []
        result.reserveCapacity(count)
        for index in 0..<count {
            let region = regions[Int(random.next() % UInt64(regions.count))]
            let model = models[Int(random.next() % UInt64(models.count))]
            let latency = 0.2 + 8 * random.unit() * random.unit()
            let completion = start + Double(index) * spacing
            let draw = random.unit()
            let outcome: OutcomeClass = draw < 0.9 ? .success : draw < 0.95 ? .upstream : draw < 0.98 ? .local : .client
            let status = outcome == .success ? 200 : outcome == .upstream ? 529 : outcome == .local ? 504 : 400
            let retried = random.unit() < 0.1
            var attempts: [AttemptRecord] = []
            let time = completion - latency
            if retried {
                attempts.append(
                    AttemptRecord(
                        time: time, region: region, model: model, index: 1, status: 429,
                        outcome: .upstream, errorType: "rate_limit_error", latency: 0.05))
            }
            attempts.append(
                AttemptRecord(
                    time: time, region: region, model: model, index: attempts.count + 1,
                    status: status, outcome: outcome, latency: latency,
                    timeToFirstByte: latency * 0.3))
            let record = RequestRecord(
                time: time, region: region, model: model, status: status, outcome: outcome,
                attempts: attempts.count, streamed: random.unit() < 0.5, latency: latency,
                timeToFirstByte: latency * 0.3, inputTokens: 200 + Int(random.next() % 2_000),
                outputTokens: Int(random.next() % 1_000), bytesSent: 1_000)
            result.append((record, attempts))
        }
        return result
    }
}
