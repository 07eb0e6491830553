import BallastCore
import Testing

@Suite struct LatencyBucketsTests {
    @Test func indexFindsTheFirstBoundNotExceeded() {
        #expect(LatencyBuckets.index(for: 0) == 0)
        #expect(LatencyBuckets.index(for: 0.0005) == 0)
        #expect(LatencyBuckets.index(for: 0.0006) == 1)
        #expect(LatencyBuckets.index(for: 600) == LatencyBuckets.bounds.count - 1)
        #expect(LatencyBuckets.index(for: 601) == LatencyBuckets.bounds.count)
    }

    @Test func quantileInterpolatesInsideTheBucket() throws {
        var counts = Array(repeating: 0, count: LatencyBuckets.count)
        counts[LatencyBuckets.index(for: 0.3)] = 100  // all in (0.25, 0.5]
        let median = try #require(LatencyBuckets.quantile(0.5, counts: counts))
        #expect(abs(median - 0.375) < 1e-9)
        #expect(LatencyBuckets.quantile(0.5, counts: Array(repeating: 0, count: LatencyBuckets.count)) == nil)
    }

    @Test func durationTextParsesAndFormats() {
        #expect(DurationText.seconds("250ms") == 0.25)
        #expect(DurationText.seconds("1m30s") == 90)
        #expect(DurationText.seconds("2h") == 7200)
        #expect(DurationText.seconds("10") == nil)
        #expect(DurationText.seconds("5x") == nil)
        #expect(DurationText.format(0.25) == "250ms")
        #expect(DurationText.format(90) == "1.5m")
    }
}
