import BallastCore
import Dispatch
import SQLite
import Synchronization

/// The writer thread's side: its SQLite connection, prepared statements and retention.
///
/// `@unchecked Sendable` only so it can be handed to the thread that runs it: it is built
/// on the thread that opens the writer, then used by the writer thread alone until that
/// thread exits (the connection is `SQLITE_OPEN_NOMUTEX` and must not be shared).
final class WriterWorker: @unchecked Sendable {
    let shared: WriterShared
    let database: SQLiteDatabase
    private let store: TelemetryStore
    private let report: @Sendable (DropLogThrottle.Line, _ lastError: String?) -> Void
    private var throttle = DropLogThrottle()
    private var appliedPageLimit = 0
    private let insertRequest: SQLiteStatement
    private let insertAttempt: SQLiteStatement
    private let insertAudit: SQLiteStatement
    private let upsertSecond: SQLiteStatement
    private let upsertMinute: SQLiteStatement
    private let retention: [RetentionTarget]
    private let canVacuum: Bool

    /// Reused between batches so steady-state writing allocates no new buffers.
    private var requests: [PendingRequest] = []
    private var audits: [AuditEvent] = []
    private var lastRetentionCheck = -Double.infinity
    private var retentionBacklog = false
    private var vacuumBacklog = false
    private var retentionWaiters: [DispatchSemaphore] = []

    init(
        shared: WriterShared, database: SQLiteDatabase, store: TelemetryStore,
        report: @escaping @Sendable (DropLogThrottle.Line, _ lastError: String?) -> Void
    ) throws {
        self.shared = shared
        self.database = database
        self.store = store
        self.report = report
        let options = shared.options
        try database.registerHistogramMerge()
        try database.pragma("wal_autocheckpoint = \(options.walAutoCheckpoint)")
        canVacuum = try database.pragma("auto_vacuum") == "2"
        insertRequest = try database.prepare(
            """
            INSERT INTO requests(id, time, region, model, route, status, outcome, error_type, attempts, hedged,
                cache_hit, coalesced, streamed, latency, ttfb, input_tokens, output_tokens, bytes_sent, canary, canary_side,
                client, cache_creation_tokens, cache_read_tokens, usage, cost_usd, trace_id, credential)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21,
                ?22, ?23, ?24, ?25, ?26, ?27)
            """)
        insertAttempt = try database.prepare(
            """
            INSERT INTO attempts(request_id, time, region, model, attempt, status, outcome, error_type, hedge,
                cancelled, latency, ttfb, input_tokens, output_tokens, cache_creation_tokens, cache_read_tokens, usage,
                cost_usd, overhead)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18, ?19)
            """)
        insertAudit = try database.prepare(
            """
            INSERT INTO audit(time, kind, target, action, reason, actor) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
            """)
        upsertSecond = try Self.prepareUpsert(database, table: "rollup_second")
        upsertMinute = try Self.prepareUpsert(database, table: "rollup_minute")
        retention = [
            try RetentionTarget(database: database, table: "requests", age: options.rawRetention, bucketWidth: nil),
            try RetentionTarget(database: database, table: "attempts", age: options.rawRetention, bucketWidth: nil),
            try RetentionTarget(database: database, table: "rollup_second", age: options.rawRetention, bucketWidth: 1),
            try RetentionTarget(database: database, table: "rollup_minute", age: options.rollupRetention, bucketWidth: 60),
            try RetentionTarget(database: database, table: "audit", age: options.auditRetention, bucketWidth: nil),
        ]
    }

    /// `INSERT … ON CONFLICT DO UPDATE` adding every counter and merging the histograms.
    private static func prepareUpsert(_ database: SQLiteDatabase, table: String) throws -> SQLiteStatement {
        let columns = TelemetryCounts.rollupColumns
        let parameters = (1...columns.count + 3).map { "?\($0)" }.joined(separator: ", ")
        let updates = columns.map { column in
            column.hasSuffix("_hist")
                ? "\(column) = \(SQLiteDatabase.histogramMergeFunction)(\(column), excluded.\(column))"
                : "\(column) = \(column) + excluded.\(column)"
        }.joined(separator: ",\n    ")
        return try database.prepare(
            """
            INSERT INTO \(table)(bucket, region, model, \(columns.joined(separator: ", ")))
            VALUES (\(parameters))
            ON CONFLICT(bucket, region, model) DO UPDATE SET
                \(updates)
            """)
    }

    // MARK: The loop

    /// Runs until the writer is closed and the buffer drained.
    func run() {
        let interval = max(shared.options.flushInterval, 0.001)
        while true {
            if !retentionBacklog, !vacuumBacklog {
                _ = shared.wake.wait(timeout: .now() + interval)
            }
            let take = shared.take(requests: &requests, audits: &audits)
            var lastID: Int64?
            if !requests.isEmpty || !audits.isEmpty {
                lastID = requests.last?.id
                writeBatch()
            }
            shared.finishBatch(lastID: lastID)
            requests.removeAll(keepingCapacity: true)
            audits.removeAll(keepingCapacity: true)
            // Before the waiters: a flush returns with the batch's losses already reported.
            reportLosses()
            for waiter in take.flushWaiters { waiter.signal() }

            retentionWaiters += take.retentionWaiters
            maintain(force: !take.retentionWaiters.isEmpty)
            if !retentionBacklog {
                for waiter in retentionWaiters { waiter.signal() }
                retentionWaiters.removeAll()
            }
            if take.closed { break }
        }
        for waiter in retentionWaiters { waiter.signal() }
        retentionWaiters.removeAll()
        // Audit events the last batch could not write have no batch left to go in.
        shared.queue.withLock { queue in
            queue.droppedAudit += queue.audits.count
            queue.audits.removeAll()
        }
        reportLosses(final: true)
    }

    /// Hands the losses due a log line to `report` (rate-limited by `throttle`); at close,
    /// every loss not yet reported.
    private func reportLosses(final: Bool = false) {
        let lines = throttle.due(totals: shared.lossTotals, now: shared.clock.now(), force: final)
        guard !lines.isEmpty else { return }
        let lastError = shared.lastError.withLock { $0 }
        for line in lines { report(line, lastError) }
    }

    // MARK: Writing

    /// Writes the taken records and their rollups in one transaction. Rollups are summed in
    /// memory first (one upsert per bucket, region and model, not per record), before the
    /// write lock is taken. A failed batch is rolled back, retried once if the database was
    /// busy, and otherwise counted as lost: the request path has long moved on.
    private func writeBatch() {
        var seconds: [RollupKey: TelemetryCounts] = [:]
        for pending in requests {
            let key = RollupKey(
                bucket: pending.record.completionSecond, region: pending.record.region ?? "",
                model: pending.record.model ?? "")
            seconds[key, default: TelemetryCounts()].add(pending.record, attempts: pending.attempts)
        }
        var minutes: [RollupKey: TelemetryCounts] = [:]
        for (key, counts) in seconds {
            let minute = key.bucket - ((key.bucket % 60) + 60) % 60
            minutes[RollupKey(bucket: minute, region: key.region, model: key.model), default: TelemetryCounts()]
                .merge(counts)
        }

        let started = shared.clock.now()
        var attemptRows = 0
        for attempt in 1...2 {
            do {
                try store.applyPageLimit(database, applied: &appliedPageLimit)
                attemptRows = try database.transaction { () throws -> Int in
                    var rows = 0
                    for pending in requests {
                        try insert(pending)
                        rows += pending.attempts.count
                    }
                    for event in audits { try insert(event) }
                    for (key, counts) in seconds { try upsert(upsertSecond, key: key, counts: counts) }
                    for (key, counts) in minutes { try upsert(upsertMinute, key: key, counts: counts) }
                    return rows
                }
                break
            } catch {
                shared.noteError(error)
                if attempt == 1, let sqliteError = error as? SQLiteError, sqliteError.isBusy { continue }
                let reason = StoreFailureReason(error)
                store.health.failed(reason, message: "\(error)")
                shared.failedBatches.add(1, ordering: .relaxed)
                shared.failedRecords.add(requests.count, ordering: .relaxed)
                shared.failedByReason.withLock { $0[reason, default: 0] += requests.count }
                shared.requeue(audits: audits)
                return
            }
        }
        store.health.succeeded()
        let elapsed = shared.clock.now().nanoseconds &- started.nanoseconds
        shared.lastBatchNanoseconds.store(Int(truncatingIfNeeded: elapsed), ordering: .relaxed)
        shared.written.add(requests.count, ordering: .relaxed)
        shared.attemptsWritten.add(attemptRows, ordering: .relaxed)
        shared.auditWritten.add(audits.count, ordering: .relaxed)
        shared.batches.add(1, ordering: .relaxed)
    }

    private func insert(_ pending: PendingRequest) throws {
        let record = pending.record
        let statement = insertRequest
        try statement.bind(pending.id, at: 1)
        try statement.bind(record.time, at: 2)
        try statement.bind(record.region, at: 3)
        try statement.bind(record.model, at: 4)
        try statement.bind(record.route, at: 5)
        try statement.bind(record.status, at: 6)
        try statement.bind(record.outcome.rawValue, at: 7)
        try statement.bind(record.errorType, at: 8)
        try statement.bind(record.attempts, at: 9)
        try statement.bind(record.hedged, at: 10)
        try statement.bind(record.cacheHit, at: 11)
        try statement.bind(record.coalesced, at: 12)
        try statement.bind(record.streamed, at: 13)
        try statement.bind(record.latency, at: 14)
        try statement.bind(record.timeToFirstByte, at: 15)
        try statement.bind(record.inputTokens, at: 16)
        try statement.bind(record.outputTokens, at: 17)
        try statement.bind(record.bytesSent, at: 18)
        try statement.bind(record.canary, at: 19)
        try statement.bind(record.canarySide, at: 20)
        try statement.bind(record.client, at: 21)
        try Self.bindUsage(record, to: statement)
        try statement.execute()

        let attempt = insertAttempt
        for item in pending.attempts {
            try attempt.bind(pending.id, at: 1)
            try attempt.bind(item.time, at: 2)
            try attempt.bind(item.region, at: 3)
            try attempt.bind(item.model, at: 4)
            try attempt.bind(item.index, at: 5)
            try attempt.bind(item.status, at: 6)
            try attempt.bind(item.outcome.rawValue, at: 7)
            try attempt.bind(item.errorType, at: 8)
            try attempt.bind(item.hedge, at: 9)
            try attempt.bind(item.cancelled, at: 10)
            try attempt.bind(item.latency, at: 11)
            try attempt.bind(item.timeToFirstByte, at: 12)
            try Self.bindUsage(item, to: attempt)
            try attempt.execute()
        }
    }

    private func insert(_ event: AuditEvent) throws {
        let statement = insertAudit
        try statement.bind(event.time, at: 1)
        try statement.bind(event.kind.rawValue, at: 2)
        try statement.bind(event.target, at: 3)
        try statement.bind(event.action, at: 4)
        try statement.bind(event.reason, at: 5)
        try statement.bind(event.actor, at: 6)
        try statement.execute()
    }

    private func upsert(_ statement: SQLiteStatement, key: RollupKey, counts: TelemetryCounts) throws {
        try statement.bind(key.bucket, at: 1)
        try statement.bind(key.region, at: 2)
        try statement.bind(key.model, at: 3)
        try counts.bind(to: statement, from: 4)
        try statement.execute()
    }

    // MARK: Retention and space

    /// One round of retention (at most one small delete per table) and, after deletes, one
    /// vacuum step. Runs when due, when behind, or when asked (`force`).
    private func maintain(force: Bool) {
        let wall = shared.clock.wallTime()
        let due = wall - lastRetentionCheck >= shared.options.retentionCheckInterval
        guard force || due || retentionBacklog || vacuumBacklog else { return }
        lastRetentionCheck = wall
        var deletedAny = false
        var more = false
        let limit = max(shared.options.retentionBatchSize, 1)
        for target in retention {
            do {
                let threshold = target.threshold(wall: wall)
                try target.probe.bind(threshold, at: 1)
                var exists = false
                try target.probe.query { row in exists = row.int(at: 0) != 0 }
                guard exists else { continue }
                try target.delete.bind(threshold, at: 1)
                try target.delete.bind(limit, at: 2)
                try target.delete.execute()
                let deleted = database.changes
                if deleted > 0 {
                    deletedAny = true
                    shared.retentionDeleted.add(deleted, ordering: .relaxed)
                    shared.retentionBatches.add(1, ordering: .relaxed)
                }
                if deleted >= limit { more = true }
            } catch {
                shared.noteError(error)
            }
        }
        retentionBacklog = more
        if deletedAny || vacuumBacklog { vacuumStep() }
    }

    /// Gives free pages back to the file system when they exceed a quarter of the file (and
    /// `vacuumMinFreePages`). In steady state deleted pages are reused by new rows and this
    /// never runs; it trims the file after traffic drops, a few hundred pages per round.
    private func vacuumStep() {
        guard canVacuum else { return }
        do {
            let free = Int(try database.pragma("freelist_count") ?? "0") ?? 0
            let pages = Int(try database.pragma("page_count") ?? "0") ?? 0
            let threshold = max(shared.options.vacuumMinFreePages, pages / 4)
            guard free > threshold else {
                vacuumBacklog = false
                return
            }
            let step = max(shared.options.vacuumPagesPerStep, 1)
            try database.pragma("incremental_vacuum(\(step))")
            shared.vacuumedPages.add(min(step, free), ordering: .relaxed)
            vacuumBacklog = free - step > threshold
        } catch {
            shared.noteError(error)
            vacuumBacklog = false
        }
    }
}
