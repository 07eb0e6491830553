import BallastCore
import BallastTesting
import Telemetry
import Testing

@Suite("Latency histogram")
struct LatencyHistogramTests {
    @Test("the text form round-trips and lists only non-zero buckets")
    func roundTrip() throws {
        var histogram = LatencyHistogram()
        #expect(histogram.encoded == "")
        for seconds in [0.0001, 0.0001, 0.3, 700, 12] { histogram.record(seconds) }
        #expect(histogram.encoded == "0:2,9:1,14:1,20:1")
        #expect(LatencyHistogram(encoded: histogram.encoded) == histogram)
        #expect(LatencyHistogram(encoded: "") == LatencyHistogram())
        #expect(histogram.total == 5)
    }

    @Test("malformed text is refused")
    func malformed() {
        for text in ["1", "1:", ":3", "1:2,", "21:1", "a:1", "1:2:3", "1:-2", ",", "1:99999999999999999999"] {
            #expect(LatencyHistogram(encoded: text) == nil, "\(text)")
        }
    }

    @Test("merging adds bucket by bucket, in Swift and in SQL")
    func merge() throws {
        var a = LatencyHistogram()
        var b = LatencyHistogram()
        for seconds in [0.001, 0.2, 3] { a.record(seconds) }
        for seconds in [0.2, 0.2, 1000] { b.record(seconds) }
        var sum = a
        sum.merge(b)
        #expect(sum.counts == zip(a.counts, b.counts).map { $0 + $1 })

        // The SQL function the rollup upserts use, through a real writer's connection: two
        // batches hit the same minute, one second each.
        let directory = try TemporaryDirectory()
        let clock = ManualClock(wallTime: 1_700_000_010)
        let store = try TelemetryStore(path: directory.path("t.db"), clock: clock)
        let writer = try TelemetryWriter(store: store, clock: clock)
        defer { writer.close() }
        var record = RequestRecord(
            time: 1_700_000_000, region: "r", model: "m", status: 200, outcome: .success,
            latency: 0.2)
        writer.submit(record)
        writer.flush()
        record.latency = 3
        writer.submit(record)
        writer.flush()
        let minuteStart = 1_700_000_000 - 1_700_000_000 % 60
        #expect(try store.scalar("SELECT latency_hist FROM rollup_second WHERE bucket = 1700000000") == "8:1")
        #expect(try store.scalar("SELECT latency_hist FROM rollup_second WHERE bucket = 1700000003") == "12:1")
        #expect(try store.scalar("SELECT latency_hist FROM rollup_minute WHERE bucket = \(minuteStart)") == "8:1,12:1")
        #expect(try store.scalar("SELECT requests FROM rollup_minute WHERE bucket = \(minuteStart)") == "2")
    }

    @Test("quantiles come from LatencyBuckets")
    func quantiles() {
        var histogram = LatencyHistogram()
        for _ in 0..<90 { histogram.record(0.2) }
        for _ in 0..<10 { histogram.record(4) }
        #expect(histogram.quantile(0.5) == LatencyBuckets.quantile(0.5, counts: histogram.counts))
        #expect(histogram.quantile(0.99)! > 2.5)
        #expect(LatencyHistogram().quantile(0.5) == nil)
    }
}
