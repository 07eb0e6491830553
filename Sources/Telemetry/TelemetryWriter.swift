public import BallastCore
import Dispatch
import Foundation
import Synchronization
import SQLite

/// Writes request records, attempts and audit events to the telemetry store without ever
/// making the request path wait for SQLite.
///
/// `submit` appends to a bounded, lock-protected buffer (and to the in-memory ring of recent
/// seconds) and returns. One writer thread drains the buffer every `flushInterval`, or as
/// soon as it is half full, and commits each batch in a single transaction together with the
/// second and minute rollups it implies. When the buffer is full, records are dropped and
/// counted: the caller is never blocked and memory never grows past the capacity. A batch
/// SQLite refuses (disk full, lock held past the busy timeout, I/O error) loses its request
/// records, counted by reason, while its audit events go back to the buffer for the next
/// batch. Every outcome is reported to `store.health`. Retention runs on the same thread in
/// small deletes between batches.
///
/// One writer per database file: request ids are assigned here, from the largest id on disk.
public final class TelemetryWriter: Sendable {
    public let store: TelemetryStore
    public let options: TelemetryWriterOptions
    let shared: WriterShared
    private let exited = DispatchSemaphore(value: 0)
    private let started = Atomic<Bool>(false)
    private let closed = Atomic<Bool>(false)

    /// Opens the writer's connection, rebuilds the in-memory ring from the second rollups and
    /// starts the writer thread.
    /// - Parameter clock: wall time for retention and the ring, monotonic time for lag and
    ///   batch durations. Tests pass a `ManualClock`.
    /// - Parameter report: called on the writer thread when records were lost, at most once
    ///   per kind of loss every 10 s (`DropLogThrottle`), with the count since the last call
    ///   and the writer's last error; the gateway logs it.
    public init(
        store: TelemetryStore, options: TelemetryWriterOptions = TelemetryWriterOptions(),
        clock: any TimeSource = SystemClock(),
        report: @escaping @Sendable (DropLogThrottle.Line, _ lastError: String?) -> Void = { _, _ in }
    ) throws {
        self.store = store
        self.options = options
        let database = try store.openConnection()
        let nextID = try Self.nextRequestID(database)
        var ring: RecentRollups?
        if options.memorySeconds > 0 {
            var recent = RecentRollups(capacity: options.memorySeconds, now: Int(clock.wallTime().rounded(.down)))
            try Self.load(&recent, from: database)
            ring = recent
        }
        shared = WriterShared(options: options, clock: clock, nextID: nextID, ring: ring)
        let worker = try WriterWorker(shared: shared, database: database, store: store, report: report)
        let exited = exited
        let thread = Thread {
            worker.run()
            exited.signal()
        }
        thread.name = "ballast-telemetry"
        thread.stackSize = 1 << 20
        thread.start()
        started.store(true, ordering: .releasing)
    }

    deinit {
        close()
    }

    /// Request ids continue after the largest on disk (in either table), so attempts written
    /// before a restart never point at a new request.
    private static func nextRequestID(_ database: SQLiteDatabase) throws -> Int64 {
        var largest: Int64 = 0
        try database.prepare("SELECT max((SELECT max(id) FROM requests), (SELECT max(request_id) FROM attempts))")
            .query { row in largest = row.isNull(at: 0) ? 0 : row.int64(at: 0) }
        return largest + 1
    }

    /// Fills the ring with the second rollups it covers, so windows after a restart answer
    /// exactly as before it.
    private static func load(_ ring: inout RecentRollups, from database: SQLiteDatabase) throws {
        let columns = TelemetryCounts.rollupColumns.joined(separator: ", ")
        let statement = try database.prepare(
            "SELECT bucket, region, model, \(columns) FROM rollup_second WHERE bucket BETWEEN ?1 AND ?2")
        try statement.bind(ring.low, at: 1)
        try statement.bind(ring.newest, at: 2)
        var rows: [(RollupKey, TelemetryCounts)] = []
        try statement.query { row in
            let key = RollupKey(bucket: row.int(at: 0), region: row.string(at: 1) ?? "", model: row.string(at: 2) ?? "")
            rows.append((key, try TelemetryCounts(row: row, first: 3, table: "rollup_second")))
        }
        for (key, counts) in rows { ring.load(key, counts: counts) }
    }

    // MARK: Hand-off (any thread, never blocks on SQLite)

    /// Hands off one finished request and its attempts. Returns false when the record was
    /// dropped because the buffer is full or the writer is closed.
    @discardableResult
    public func submit(_ record: RequestRecord, attempts: [AttemptRecord] = []) -> Bool {
        shared.submit(record, attempts: attempts)
    }

    /// Hands off one audit event (its own buffer, `options.auditCapacity`). Returns false
    /// when it was dropped.
    @discardableResult
    public func submit(_ event: AuditEvent) -> Bool {
        shared.submit(event)
    }

    // MARK: Waiting (tests, shutdown)

    /// Returns once everything submitted before the call is committed (or has failed).
    public func flush() {
        wait { $0.flushWaiters.append($1) }
    }

    /// Runs retention now and returns once no table has rows past its retention (deletes
    /// still go in batches of `retentionBatchSize`, with new records written in between).
    public func runRetention() {
        wait { $0.retentionWaiters.append($1) }
    }

    private func wait(_ register: (inout WriterQueue, DispatchSemaphore) -> Void) {
        let done = DispatchSemaphore(value: 0)
        let registered = shared.queue.withLock { queue -> Bool in
            guard !queue.closed else { return false }
            register(&queue, done)
            return true
        }
        guard registered else { return }
        shared.wake.signal()
        done.wait()
    }

    /// Writes what is buffered, stops the writer thread and waits for it. Later submissions
    /// are dropped. Idempotent; also called on deinit.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shared.queue.withLock { $0.closed = true }
        shared.wake.signal()
        // An init that threw after its stored properties were set never started the thread;
        // its deinit must not wait for it.
        if started.load(ordering: .acquiring) { exited.wait() }
    }

    // MARK: Counters

    public var stats: TelemetryWriterStats { shared.stats }

    /// Request records dropped because the buffer was full (or the writer closed); records
    /// lost in failed batches are in `stats.droppedByReason`.
    public var droppedRecords: Int { shared.queue.withLock { $0.dropped } }

    /// Records and audit events waiting in the buffer.
    public var queueDepth: Int { shared.queue.withLock { $0.requests.count + $0.audits.count } }

    /// Seconds since the oldest record not yet committed was handed off.
    public var lag: Double { shared.stats.lag }
}
