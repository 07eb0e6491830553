/// What `TelemetryBenchmark.measureWrites` saw.
public struct TelemetryBenchmarkResult: Sendable, Equatable {
    /// Request records committed (each with its attempts).
    public var records: Int
    /// Attempt rows committed alongside them.
    public var attempts: Int
    /// Seconds from the first hand-off to the flush that committed the last record.
    public var seconds: Double
    /// Times a hand-off found the buffer full and the benchmark had to wait and retry.
    public var bufferFullRetries: Int
    public var batches: Int
    /// Size of the database file (plus WAL) afterwards.
    public var fileBytes: Int

    public var recordsPerSecond: Double { seconds > 0 ? Double(records) / seconds : 0 }
}
