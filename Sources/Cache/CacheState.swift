import Dispatch

/// Everything a `ResponseCache` keeps in memory, under one lock: the index, the memory
/// front, the writes waiting for the writer thread, and the counters.
///
/// Every operation here is in-memory and bounded; SQLite is touched only by the writer
/// thread (writes) and by a lookup that misses the memory front (one row read, outside this
/// lock).
struct CacheState: Sendable {
    struct Batch: Sendable {
        var writes: [String: PendingWrite] = [:]
        var touches: [String: Double] = [:]
        var clear = false
        var flushWaiters: [DispatchSemaphore] = []
        var closed = false

        var hasWork: Bool { clear || !writes.isEmpty || !touches.isEmpty }
    }

    let options: ResponseCacheOptions
    var index = CacheIndex()
    var front: MemoryFront
    /// Row changes not yet taken by the writer; the last change per key wins.
    var pending: [String: PendingWrite] = [:]
    var pendingBytes = 0
    /// Row changes the writer has taken and not yet committed: still readable, so a lookup
    /// never misses an answer that is on its way to disk.
    var inFlight: [String: PendingWrite] = [:]
    /// Last-use times to persist, so the LRU order survives a restart.
    var touches: [String: Double] = [:]
    /// `removeAll` was called: the writer empties the table before the pending writes.
    var clearRequested = false
    var flushWaiters: [DispatchSemaphore] = []
    var closed = false
    var stats = ResponseCacheStats()

    init(options: ResponseCacheOptions) {
        self.options = options
        front = MemoryFront(capacityBytes: options.memoryBytes)
    }

    /// An answer still waiting for (or being written by) the writer.
    func unwrittenAnswer(_ key: String) -> CachedAnswer? {
        for source in [pending, inFlight] {
            if case .put(_, let answer)? = source[key] { return answer }
        }
        return nil
    }

    /// Adds or replaces an answer in memory and schedules its row.
    mutating func insert(_ key: String, fingerprint: String, answer: CachedAnswer) {
        index.insert(
            key,
            CacheIndex.Entry(
                fingerprint: fingerprint, bytes: answer.body.count,
                storedAt: answer.storedAt, expiresAt: answer.expiresAt))
        front.put(key, answer)
        touches.removeValue(forKey: key)  // the row carries its last use
        if pendingBytes - pending[key, default: .delete].bytes + answer.body.count > options.maxPendingBytes {
            // The writer is far behind: serve this answer from memory only, and make sure an
            // older row under the same key cannot come back in its place.
            stats.droppedWrites += 1
            schedule(key, .delete)
        } else {
            schedule(key, .put(fingerprint: fingerprint, answer: answer))
        }
    }

    /// Records a use: LRU order now, last-use time on disk at the next batch.
    mutating func markUsed(_ key: String, wall: Double) {
        index.touch(key)
        touches[key] = wall
    }

    /// Forgets an answer in memory and schedules the deletion of its row.
    mutating func remove(_ key: String) {
        guard index.remove(key) != nil else { return }
        front.remove(key)
        touches.removeValue(forKey: key)
        schedule(key, .delete)
    }

    /// Evicts until both bounds hold: expired answers first, then least recently used;
    /// never `protected`.
    mutating func enforceBounds(wall: Double, protecting protected: String?) {
        let maxEntries = max(1, options.maxEntries)
        while index.count > maxEntries || index.totalBytes > options.maxBytes {
            guard let victim = index.victim(wall: wall, protecting: protected) else { break }
            remove(victim)
            stats.evictions += 1
        }
    }

    /// Removes up to `limit` answers that expired longer than `staleRetention` ago: they
    /// would never be served again, not even stale.
    mutating func purgeExpired(wall: Double, limit: Int) {
        var removed = 0
        while removed < limit, let key = index.expired(atOrBefore: wall - options.staleRetention) {
            remove(key)
            stats.expirations += 1
            removed += 1
        }
    }

    /// Forgets every answer; the writer empties the table.
    mutating func removeAll() {
        index.removeAll()
        front.removeAll()
        pending.removeAll()
        pendingBytes = 0
        touches.removeAll()
        clearRequested = true
    }

    private mutating func schedule(_ key: String, _ write: PendingWrite) {
        guard !closed else { return }
        pendingBytes += write.bytes - (pending[key]?.bytes ?? 0)
        pending[key] = write
    }

    /// Hands the pending work to the writer; what it takes stays readable as `inFlight`
    /// until `finishBatch`.
    mutating func takeBatch() -> Batch {
        var batch = Batch()
        swap(&batch.writes, &pending)
        swap(&batch.touches, &touches)
        swap(&batch.flushWaiters, &flushWaiters)
        batch.clear = clearRequested
        batch.closed = closed
        clearRequested = false
        pendingBytes = 0
        inFlight = batch.writes
        return batch
    }

    mutating func finishBatch() {
        inFlight.removeAll()
    }

    /// The counters with the current sizes filled in.
    var snapshot: ResponseCacheStats {
        var result = stats
        result.entries = index.count
        result.bytes = index.totalBytes
        result.memoryEntries = front.count
        result.memoryBytes = front.bytes
        result.pendingWrites = pending.count + inFlight.count
        return result
    }
}
