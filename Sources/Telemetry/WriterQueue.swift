import BallastCore
import Dispatch

/// Everything the request path and the writer thread share, guarded by one lock in
/// `WriterShared`. Kept small so the lock is held for an append and a few comparisons.
struct WriterQueue {
    /// Accepted, not yet taken by the writer.
    var requests: [PendingRequest] = []
    var audits: [AuditEvent] = []
    /// Monotonic nanoseconds when the oldest record in `requests`/`audits` was accepted.
    var oldestSince: UInt64?
    /// The batch the writer is committing now (shares storage with the writer's copy), so a
    /// streak query can see records that are neither queued nor committed.
    var inFlight: [PendingRequest] = []
    var inFlightSince: UInt64?
    /// Every request id up to this one has been committed (or lost in a failed batch).
    var writtenThrough: Int64 = 0
    /// The id the next accepted request gets.
    var nextID: Int64 = 1
    /// Request records refused at hand-off: the buffer was full, or (`droppedClosed` of
    /// them) the writer was closed.
    var dropped = 0
    var droppedClosed = 0
    var droppedAudit = 0
    /// `flush()` callers waiting for the next batch.
    var flushWaiters: [DispatchSemaphore] = []
    /// `runRetention()` callers waiting for retention to catch up.
    var retentionWaiters: [DispatchSemaphore] = []
    /// Set by `close()`: nothing more is accepted and the writer exits once drained.
    var closed = false
}
