import SQLite

extension SQLiteDatabase {
    /// The SQL name of the histogram merge function.
    static let histogramMergeFunction = "ballast_hist_merge"

    /// Registers `ballast_hist_merge(a, b)`: the sum of two `LatencyHistogram` texts
    /// (NULL counts as empty). The rollup upserts merge histograms in SQL with it
    /// (`ON CONFLICT DO UPDATE SET latency_hist = ballast_hist_merge(latency_hist,
    /// excluded.latency_hist)`), so a bucket that several batches touch needs no read-back
    /// and no in-memory copy of open buckets, and late records merge like any other.
    func registerHistogramMerge() throws {
        try registerFunction(Self.histogramMergeFunction, arguments: 2) { texts in
            var histogram = LatencyHistogram()
            for case let bytes? in texts {
                guard histogram.merge(encoded: bytes) else {
                    return .failure(SQLiteFunctionError("ballast_hist_merge: malformed histogram"))
                }
            }
            return .success(histogram.encoded)
        }
    }
}
