/// A snapshot of the writer's counters, for `/metrics` and tests.
public struct TelemetryWriterStats: Sendable, Equatable {
    /// Request rows committed.
    public var written: Int
    /// Attempt rows committed.
    public var attemptsWritten: Int
    /// Audit rows committed.
    public var auditWritten: Int
    /// Request records refused because the buffer was full (or the writer closed).
    public var dropped: Int
    /// Every request record lost, by why: refused at hand-off (`queue_full`, `closed`) or
    /// rolled back with a failed batch (`disk_full`, `busy`, `io_error`, `error`). Every
    /// reason is listed, 0 included. Records written plus these are the records handed off.
    public var droppedByReason: [StoreFailureReason: Int]
    /// Audit events refused because their buffer was full (or the writer closed).
    public var droppedAudit: Int
    /// Batches committed.
    public var batches: Int
    /// Batches that failed and were rolled back; their records are lost.
    public var failedBatches: Int
    /// Request records lost in failed batches.
    public var failedRecords: Int
    /// Seconds the last batch's transaction took.
    public var lastBatchDuration: Double
    /// Request records and audit events waiting in the buffer.
    public var queueDepth: Int
    /// Seconds since the oldest record not yet committed was handed off (0 when none).
    public var lag: Double
    /// Rows deleted by retention, all tables.
    public var retentionDeleted: Int
    /// Retention delete statements that deleted something.
    public var retentionBatches: Int
    /// Pages handed back to the file system by `incremental_vacuum`.
    public var vacuumedPages: Int
    /// The last error the writer thread met (nil if none).
    public var lastError: String?
}
