import CSQLite
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
        let merge: @convention(c) (OpaquePointer?, Int32, UnsafeMutablePointer<OpaquePointer?>?) -> Void = { context, count, values in
            guard let context else { return }
            var histogram = LatencyHistogram()
            for index in 0 ..< Int(max(count, 0)) {
                guard let value = values?[index], sqlite3_value_type(value) != SQLITE_NULL else { continue }
                let bytes = UnsafeBufferPointer(start: sqlite3_value_text(value), count: Int(sqlite3_value_bytes(value)))
                guard histogram.merge(encoded: bytes) else {
                    sqlite3_result_error(context, "ballast_hist_merge: malformed histogram", -1)
                    return
                }
            }
            var text = histogram.encoded
            text.withUTF8 { bytes in
                guard let base = bytes.baseAddress, bytes.count > 0 else {
                    sqlite3_result_text(context, "", 0, SQLiteStatement.transient)
                    return
                }
                base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { chars in
                    sqlite3_result_text(context, chars, Int32(bytes.count), SQLiteStatement.transient)
                }
            }
        }
        let code = sqlite3_create_function_v2(handle, Self.histogramMergeFunction, 2,
                                              SQLITE_UTF8 | SQLITE_DETERMINISTIC, nil, merge, nil, nil, nil)
        guard code == SQLITE_OK else {
            throw SQLiteError.from(code, handle: handle, context: "create function \(Self.histogramMergeFunction)")
        }
    }
}
