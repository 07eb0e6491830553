import BallastCore
import Dispatch
import Synchronization

/// The part of the telemetry writer that any thread may touch: the hand-off buffer, the
/// in-memory ring of recent seconds, and the counters. The SQLite side lives in
/// `WriterWorker`, on the writer thread only.
final class WriterShared: Sendable {
    let options: TelemetryWriterOptions
    let clock: any TimeSource
    let queue: Mutex<WriterQueue>
    /// Nil when `options.memorySeconds` is 0.
    let ring: Mutex<RecentRollups>?
    /// Signalled when there is work sooner than the next interval: buffer half full,
    /// flush, retention request, close.
    let wake = DispatchSemaphore(value: 0)

    let written = Atomic<Int>(0)
    let attemptsWritten = Atomic<Int>(0)
    let auditWritten = Atomic<Int>(0)
    let batches = Atomic<Int>(0)
    let failedBatches = Atomic<Int>(0)
    let failedRecords = Atomic<Int>(0)
    let lastBatchNanoseconds = Atomic<Int>(0)
    let retentionDeleted = Atomic<Int>(0)
    let retentionBatches = Atomic<Int>(0)
    let vacuumedPages = Atomic<Int>(0)
    let lastError = Mutex<String?>(nil)
    /// Request records lost in batches that failed, by the failure's reason.
    let failedByReason = Mutex<[StoreFailureReason: Int]>([:])

    init(options: TelemetryWriterOptions, clock: any TimeSource, nextID: Int64, ring: RecentRollups?) {
        self.options = options
        self.clock = clock
        var initial = WriterQueue()
        initial.nextID = nextID
        initial.writtenThrough = nextID - 1
        queue = Mutex(initial)
        self.ring = ring.map { Mutex($0) }
    }

    // MARK: Request path

    /// Accepts a request unless the buffer is full; never blocks on SQLite.
    func submit(_ record: RequestRecord, attempts: [AttemptRecord]) -> Bool {
        let capacity = options.capacity
        let halfFull = max(capacity / 2, 1)
        let clock = clock
        let outcome = queue.withLock { queue -> (accepted: Bool, wake: Bool) in
            guard !queue.closed, queue.requests.count < capacity else {
                queue.dropped += 1
                if queue.closed { queue.droppedClosed += 1 }
                return (false, false)
            }
            if queue.requests.isEmpty, queue.audits.isEmpty { queue.oldestSince = clock.now().nanoseconds }
            queue.requests.append(PendingRequest(id: queue.nextID, record: record, attempts: attempts))
            queue.nextID += 1
            return (true, queue.requests.count == halfFull)
        }
        guard outcome.accepted else { return false }
        if outcome.wake { wake.signal() }
        ring?.withLock { ring in ring.add(record, attempts: attempts, clock: clock) }
        return true
    }

    func submit(_ event: AuditEvent) -> Bool {
        let capacity = options.auditCapacity
        let clock = clock
        let accepted = queue.withLock { queue -> Bool in
            guard !queue.closed, queue.audits.count < capacity else {
                queue.droppedAudit += 1
                return false
            }
            if queue.requests.isEmpty, queue.audits.isEmpty { queue.oldestSince = clock.now().nanoseconds }
            queue.audits.append(event)
            return true
        }
        return accepted
    }

    // MARK: Writer thread

    /// Swaps the buffers with the writer's empty ones and hands over the waiters.
    func take(requests: inout [PendingRequest], audits: inout [AuditEvent]) -> WriterTake {
        var taken = requests
        var takenAudits = audits
        requests = []
        audits = []
        let result = queue.withLock { queue -> (WriterTake, [PendingRequest], [AuditEvent]) in
            swap(&queue.requests, &taken)
            swap(&queue.audits, &takenAudits)
            queue.inFlight = taken
            queue.inFlightSince = queue.oldestSince
            queue.oldestSince = nil
            let take = WriterTake(
                flushWaiters: queue.flushWaiters, retentionWaiters: queue.retentionWaiters,
                closed: queue.closed)
            queue.flushWaiters.removeAll()
            queue.retentionWaiters.removeAll()
            return (take, taken, takenAudits)
        }
        requests = result.1
        audits = result.2
        return result.0
    }

    /// Marks the in-flight batch as done (committed or lost) up to `lastID`.
    func finishBatch(lastID: Int64?) {
        queue.withLock { queue in
            queue.inFlight = []
            queue.inFlightSince = nil
            if let lastID { queue.writtenThrough = max(queue.writtenThrough, lastID) }
        }
    }

    /// Puts the audit events of a failed batch back at the front of the buffer, so the next
    /// batch tries them again: audit entries are what an operator reads after an incident and
    /// are not given up while there is room. Events beyond `auditCapacity` (the newest) are
    /// dropped and counted.
    func requeue(audits failed: [AuditEvent]) {
        guard !failed.isEmpty else { return }
        let capacity = options.auditCapacity
        let clock = clock
        queue.withLock { queue in
            var merged = failed
            merged.append(contentsOf: queue.audits)
            if merged.count > capacity {
                queue.droppedAudit += merged.count - capacity
                merged.removeLast(merged.count - capacity)
            }
            queue.audits = merged
            if queue.oldestSince == nil, !merged.isEmpty { queue.oldestSince = clock.now().nanoseconds }
        }
    }

    /// Every loss so far, by what was lost and why: what the writer's log lines report.
    var lossTotals: [DropLogThrottle.Key: Int] {
        let (full, closed, audit) = queue.withLock { ($0.dropped - $0.droppedClosed, $0.droppedClosed, $0.droppedAudit) }
        var totals: [DropLogThrottle.Key: Int] = [:]
        for (reason, count) in droppedByReason(full: full, closed: closed) {
            totals[DropLogThrottle.Key(what: "request records", reason: reason)] = count
        }
        totals[DropLogThrottle.Key(what: "audit events", reason: .queueFull)] = audit
        return totals
    }

    /// Request records lost, every reason listed (0 included).
    private func droppedByReason(full: Int, closed: Int) -> [StoreFailureReason: Int] {
        var result = failedByReason.withLock { $0 }
        for reason in StoreFailureReason.allCases where result[reason] == nil { result[reason] = 0 }
        result[.queueFull, default: 0] += full
        result[.closed, default: 0] += closed
        return result
    }

    func noteError(_ error: any Error) {
        let text = "\(error)"
        lastError.withLock { $0 = text }
    }

    // MARK: Readers

    /// The start of a consecutive-failure streak, from the records not yet committed,
    /// newest first. `ended` is true when a record that is not a failure was found (the
    /// streak is complete); otherwise the caller continues in SQLite below `writtenThrough`.
    func pendingStreak(
        filter: TelemetryFilter, failing: Set<OutcomeClass>, limit: Int
    )
        -> (count: Int, ended: Bool, writtenThrough: Int64)
    {
        queue.withLock { queue in
            var count = 0
            for list in [queue.requests, queue.inFlight] {
                for pending in list.reversed() where filter.matches(region: pending.record.region, model: pending.record.model) {
                    guard failing.contains(pending.record.outcome) else { return (count, true, queue.writtenThrough) }
                    count += 1
                    if count >= limit { return (count, true, queue.writtenThrough) }
                }
            }
            return (count, false, queue.writtenThrough)
        }
    }

    /// The ring's part of a window: the sum over `[from, to]` and the first second the ring
    /// answers for (earlier seconds come from SQLite). Nil without a ring.
    func recent(from: Int, to: Int, filter: TelemetryFilter) -> (counts: TelemetryCounts, low: Int)? {
        ring?.withLock { ring in (ring.sum(from: from, to: to, filter: filter), ring.low) }
    }

    var stats: TelemetryWriterStats {
        let now = clock.now().nanoseconds
        let snapshot = queue.withLock { queue in
            (
                depth: queue.requests.count + queue.audits.count,
                oldest: [queue.oldestSince, queue.inFlightSince].compactMap { $0 }.min(),
                dropped: queue.dropped, droppedClosed: queue.droppedClosed, droppedAudit: queue.droppedAudit
            )
        }
        let lag = snapshot.oldest.map { now > $0 ? Double(now - $0) / 1e9 : 0 } ?? 0
        return TelemetryWriterStats(
            written: written.load(ordering: .relaxed),
            attemptsWritten: attemptsWritten.load(ordering: .relaxed),
            auditWritten: auditWritten.load(ordering: .relaxed),
            dropped: snapshot.dropped,
            droppedByReason: droppedByReason(full: snapshot.dropped - snapshot.droppedClosed, closed: snapshot.droppedClosed),
            droppedAudit: snapshot.droppedAudit,
            batches: batches.load(ordering: .relaxed),
            failedBatches: failedBatches.load(ordering: .relaxed),
            failedRecords: failedRecords.load(ordering: .relaxed),
            lastBatchDuration: Double(lastBatchNanoseconds.load(ordering: .relaxed)) / 1e9,
            queueDepth: snapshot.depth,
            lag: lag,
            retentionDeleted: retentionDeleted.load(ordering: .relaxed),
            retentionBatches: retentionBatches.load(ordering: .relaxed),
            vacuumedPages: vacuumedPages.load(ordering: .relaxed),
            lastError: lastError.withLock { $0 })
    }
}
