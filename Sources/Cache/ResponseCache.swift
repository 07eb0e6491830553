import Dispatch
import Foundation
import Synchronization
import SQLite

/// Complete answers kept for repeated requests: a SQLite table behind an in-memory index and
/// a memory front of recent bodies.
///
/// Calls come from the gateway's threads (its upstream loop among them), so nothing here
/// waits for a write: `store` updates memory and queues the row; one writer thread commits
/// queued rows in batches (every `flushInterval`, or sooner when `batchSize` are waiting).
/// A `lookup` is answered from memory when the body is in the memory front (the common case
/// for hot requests); otherwise it reads that one row by primary key on a separate
/// connection (WAL: it never waits for the writer). That happens after a restart, and for
/// answers the front dropped to stay within `memoryBytes`.
///
/// Bounds: `maxEntries` answers and `maxBytes` of bodies, enforced at every store from the
/// in-memory index (no table scan): expired answers go first (soonest expiry first), then
/// the least recently used. Answers over `maxEntryBytes` are not stored. Answers older than
/// expiry + `staleRetention` are removed even when there is room.
///
/// Call sequence for the gateway, per request (see `docs/cache.md`):
/// 1. `CachePolicy.decide(…)` → `.cache(ttl)` or `.bypass`;
/// 2. `CacheKey(credential:path:body:headers:)`;
/// 3. `lookup(key, wall: clock.wallTime())` → a hit is the answer (re-streamed with
///    `StreamSynthesizer` when the request wants a stream);
/// 4. on a miss, coalesce on `key` with `SingleFlight`; the leader forwards upstream, and on
///    a complete 200 calls `store(key, body:, ttl:, wall:)` (a streamed answer is first
///    assembled into a Message with `MessageAssembler`);
/// 5. degraded (level 4): `lookup(key, wall:, allowStale: true)`.
///
/// One `ResponseCache` per database file. Thread-safe.
public final class ResponseCache: Sendable {
    public let path: String
    public let options: ResponseCacheOptions
    private let shared: CacheShared
    private let reader: Mutex<CacheReader>
    private let exited = DispatchSemaphore(value: 0)
    private let closed = Atomic<Bool>(false)

    /// Opens (or creates) the cache table in the database at `path`, loads the index of the
    /// answers kept there (not their bodies) and starts the writer thread.
    ///
    /// `path` may be the telemetry database or a file of its own (`:memory:` keeps the answers
    /// in this process only). When the stored answers
    /// exceed the bounds (they were lowered), the least recently used are removed now.
    /// - Throws: `SQLiteError` when the database cannot be opened or the table created.
    public init(path: String, options: ResponseCacheOptions = ResponseCacheOptions()) throws {
        self.path = path
        self.options = options
        let target = CacheSchema.openTarget(for: path)
        let database = try SQLiteDatabase(path: target.name, flags: target.flags)
        try CacheSchema.create(database)
        var state = CacheState(options: options)
        try Self.loadIndex(database, into: &state)
        state.enforceBounds(wall: -Double.infinity, protecting: nil)
        // Everything that can throw happens before the last stored property is set: a throw
        // after that would run `deinit`, whose `close` waits for a thread never started.
        let shared = CacheShared(options: options, state: state)
        let worker = try CacheWriter(shared: shared, database: database)
        let reader = try CacheReader(name: target.name, flags: target.flags)
        self.shared = shared
        self.reader = Mutex(reader)
        let exited = exited
        let thread = Thread {
            worker.run()
            exited.signal()
        }
        thread.name = "ballast-cache"
        thread.stackSize = 1 << 20
        thread.start()
    }

    deinit {
        close()
    }

    /// Every stored answer's metadata, least recently used first, so the LRU order is as it
    /// was before the restart.
    private static func loadIndex(_ database: SQLiteDatabase, into state: inout CacheState) throws {
        let statement = try database.prepare(
            """
            SELECT key, fingerprint, bytes, stored_at, expires_at FROM \(CacheSchema.table) ORDER BY last_used, rowid
            """)
        try statement.query { row in
            guard let key = row.string(at: 0), let fingerprint = row.string(at: 1) else { return }
            state.index.insert(
                key,
                CacheIndex.Entry(
                    fingerprint: fingerprint, bytes: row.int(at: 2),
                    storedAt: row.double(at: 3), expiresAt: row.double(at: 4)))
        }
    }

    // MARK: Lookup and store

    /// The answer stored under `key`, when it belongs to the same credential and is fresh at
    /// `wall` (or, with `allowStale`, expired less than `staleRetention` ago).
    /// - Parameters:
    ///   - wall: wall-clock seconds since the Unix epoch (`clock.wallTime()`); wall time,
    ///     because expiry must survive a restart.
    ///   - allowStale: true only when degraded: an expired answer beats no answer.
    public func lookup(_ key: CacheKey, wall: Double, allowStale: Bool = false) -> CachedAnswer? {
        enum Step {
            case done(CachedAnswer?)
            case readRow(storedAt: Double, fresh: Bool)
        }
        let staleRetention = options.staleRetention
        let step = shared.state.withLock { state -> Step in
            guard let entry = state.index[key.hex] else {
                state.stats.misses += 1
                return .done(nil)
            }
            guard entry.fingerprint == key.fingerprint else {
                state.stats.misses += 1
                state.stats.fingerprintMismatches += 1
                return .done(nil)
            }
            if wall >= entry.expiresAt + staleRetention {
                state.remove(key.hex)
                state.stats.expirations += 1
                state.stats.misses += 1
                return .done(nil)
            }
            let fresh = wall < entry.expiresAt
            guard fresh || allowStale else {
                state.stats.misses += 1
                return .done(nil)
            }
            var answer = state.front.get(key.hex)
            if answer == nil, let unwritten = state.unwrittenAnswer(key.hex) {
                state.front.put(key.hex, unwritten)
                answer = unwritten
            }
            guard let answer else { return .readRow(storedAt: entry.storedAt, fresh: fresh) }
            state.markUsed(key.hex, wall: wall)
            if fresh { state.stats.hits += 1 } else { state.stats.staleHits += 1 }
            return .done(answer)
        }
        let storedAt: Double
        let fresh: Bool
        switch step {
        case .done(let answer):
            return answer
        case .readRow(let rowStoredAt, let rowFresh):
            storedAt = rowStoredAt
            fresh = rowFresh
        }

        // Outside the state lock: other lookups and stores go on while this row is read.
        let row: Result<(fingerprint: String, answer: CachedAnswer)?, any Error> = reader.withLock { reader in
            Result { try reader.read(key.hex) }
        }
        return shared.state.withLock { state -> CachedAnswer? in
            // The entry may have been replaced or removed while the row was read.
            guard let entry = state.index[key.hex], entry.storedAt == storedAt, entry.fingerprint == key.fingerprint else {
                state.stats.misses += 1
                return nil
            }
            guard case .success(let found) = row else {
                state.stats.readErrors += 1
                state.stats.misses += 1
                return nil
            }
            guard let found, found.fingerprint == key.fingerprint, found.answer.storedAt == storedAt else {
                // The index promised a row that is not on disk (its write failed or was
                // dropped): forget the entry.
                state.remove(key.hex)
                state.stats.misses += 1
                return nil
            }
            state.front.put(key.hex, found.answer)
            state.markUsed(key.hex, wall: wall)
            state.stats.diskReads += 1
            if fresh { state.stats.hits += 1 } else { state.stats.staleHits += 1 }
            return found.answer
        }
    }

    /// Keeps a complete 200 answer for `ttl` seconds from `wall` (wall-clock seconds since the
    /// Unix epoch, as for `lookup`). Returns false when it was not kept (empty, over
    /// `maxEntryBytes`, or a TTL that is not positive).
    ///
    /// Never blocks on SQLite: the row is written by the writer thread. For `/v1/messages`,
    /// `body` must be a complete non-streaming Message JSON (assemble streamed answers with
    /// `MessageAssembler` first).
    @discardableResult
    public func store(
        _ key: CacheKey, body: [UInt8], contentType: String = "application/json", ttl: Double,
        wall: Double
    ) -> Bool {
        guard ttl > 0, ttl.isFinite, !body.isEmpty else { return false }
        let answer = CachedAnswer(body: body, contentType: contentType, storedAt: wall, expiresAt: wall + ttl)
        let limit = min(options.maxEntryBytes, options.maxBytes)
        let batchSize = max(1, options.batchSize)
        let outcome = shared.state.withLock { state -> (stored: Bool, wake: Bool) in
            guard body.count <= limit else {
                state.stats.rejectedTooLarge += 1
                return (false, false)
            }
            state.insert(key.hex, fingerprint: key.fingerprint, answer: answer)
            state.stats.stores += 1
            state.purgeExpired(wall: wall, limit: 8)
            state.enforceBounds(wall: wall, protecting: key.hex)
            return (true, state.pending.count >= batchSize)
        }
        if outcome.wake { shared.wake.signal() }
        return outcome.stored
    }

    /// Forgets the answer under `key` (whatever its credential).
    public func remove(_ key: CacheKey) {
        shared.state.withLock { $0.remove(key.hex) }
    }

    /// Forgets every answer (an operator's purge); the table is emptied by the next batch.
    public func removeAll() {
        shared.state.withLock { $0.removeAll() }
        shared.wake.signal()
    }

    // MARK: Counters, flush, close

    public var stats: ResponseCacheStats {
        shared.state.withLock { $0.snapshot }
    }

    /// Returns once every write made before the call is committed (or has failed). For
    /// tests and shutdown; the request path never needs it.
    public func flush() {
        let done = DispatchSemaphore(value: 0)
        let registered = shared.state.withLock { state -> Bool in
            guard !state.closed else { return false }
            state.flushWaiters.append(done)
            return true
        }
        guard registered else { return }
        shared.wake.signal()
        done.wait()
    }

    /// Commits what is pending, stops the writer thread and waits for it. Lookups still work
    /// afterwards (from memory and the read connection); stores are kept in memory only.
    /// Idempotent; also called on deinit.
    public func close() {
        guard !closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        shared.state.withLock { $0.closed = true }
        shared.wake.signal()
        exited.wait()
    }
}
