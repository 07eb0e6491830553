/// How the telemetry writer buffers, batches and forgets.
public struct TelemetryWriterOptions: Sendable, Equatable {
    /// Request records the hand-off buffer holds before new ones are dropped (each with its
    /// attempts). Bounds memory when SQLite falls behind.
    public var capacity: Int
    /// Audit events buffered separately, so a flood of requests can never crowd out the
    /// record of what the controller did about it.
    public var auditCapacity: Int
    /// Seconds between batches when the buffer is less than half full.
    public var flushInterval: Double
    /// Raw rows (requests, attempts) and second rollups older than this are deleted.
    public var rawRetention: Double
    /// Minute rollups older than this are deleted.
    public var rollupRetention: Double
    /// Audit events older than this are deleted. They are few and are what an operator
    /// reads after an incident, so they live as long as the minute rollups by default.
    public var auditRetention: Double
    /// Rows deleted per statement; each delete is its own short transaction between batches.
    public var retentionBatchSize: Int
    /// Wall-clock seconds between retention checks when there is no backlog.
    public var retentionCheckInterval: Double
    /// Seconds of per-second rollups kept in memory for window queries (0 disables).
    public var memorySeconds: Int
    /// Free pages above which the writer gives space back with `incremental_vacuum`
    /// (in addition to a quarter of the file).
    public var vacuumMinFreePages: Int
    /// Pages released per vacuum step.
    public var vacuumPagesPerStep: Int
    /// WAL pages after which a commit checkpoints (`wal_autocheckpoint`); 0 turns automatic
    /// checkpoints off (tests that copy the files mid-write use it).
    public var walAutoCheckpoint: Int

    public init(
        capacity: Int = 65_536, auditCapacity: Int = 4_096, flushInterval: Double = 0.1,
        rawRetention: Double = 86_400, rollupRetention: Double = 30 * 86_400,
        auditRetention: Double = 30 * 86_400, retentionBatchSize: Int = 5_000,
        retentionCheckInterval: Double = 1, memorySeconds: Int = 300,
        vacuumMinFreePages: Int = 2_048, vacuumPagesPerStep: Int = 512, walAutoCheckpoint: Int = 1_000
    ) {
        self.capacity = capacity
        self.auditCapacity = auditCapacity
        self.flushInterval = flushInterval
        self.rawRetention = rawRetention
        self.rollupRetention = rollupRetention
        self.auditRetention = auditRetention
        self.retentionBatchSize = retentionBatchSize
        self.retentionCheckInterval = retentionCheckInterval
        self.memorySeconds = memorySeconds
        self.vacuumMinFreePages = vacuumMinFreePages
        self.vacuumPagesPerStep = vacuumPagesPerStep
        self.walAutoCheckpoint = walAutoCheckpoint
    }
}
