import Dispatch
import SQLite
import Synchronization

/// The writer thread's side of a `ResponseCache`: its connection and statements, and the
/// loop that commits pending writes in batches.
///
/// `@unchecked Sendable` only so it can be handed to the thread that runs it: it is built by
/// the cache's initialiser, then used by the writer thread alone (the connection is
/// `SQLITE_OPEN_NOMUTEX` and must not be shared).
final class CacheWriter: @unchecked Sendable {
    private let shared: CacheShared
    private let database: SQLiteDatabase
    private let upsert: SQLiteStatement
    private let delete: SQLiteStatement
    private let touch: SQLiteStatement

    init(shared: CacheShared, database: SQLiteDatabase) throws {
        self.shared = shared
        self.database = database
        let table = CacheSchema.table
        upsert = try database.prepare(
            """
            INSERT OR REPLACE INTO \(table)(key, fingerprint, content_type, bytes, stored_at, expires_at, last_used, body)
            VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)
            """)
        delete = try database.prepare("DELETE FROM \(table) WHERE key = ?1")
        touch = try database.prepare("UPDATE \(table) SET last_used = max(last_used, ?2) WHERE key = ?1")
    }

    /// Runs until the cache is closed, then commits what is left and returns.
    func run() {
        let interval = max(shared.options.flushInterval, 0.001)
        while true {
            _ = shared.wake.wait(timeout: .now() + interval)
            let batch = shared.state.withLock { $0.takeBatch() }
            var failed = false
            if batch.hasWork { failed = !write(batch) }
            shared.state.withLock { state in
                state.finishBatch()
                if failed {
                    state.stats.writeErrors += 1
                    // An emptied table must stay empty, or purged answers would come back at
                    // the next start.
                    if batch.clear { state.clearRequested = true }
                }
            }
            for waiter in batch.flushWaiters { waiter.signal() }
            if batch.closed { break }
        }
    }

    /// Commits one batch in one transaction; retried once when the database was busy
    /// (another process, or telemetry's writer when they share a file). A batch that still
    /// fails is lost: its answers stay served from memory, and a later lookup that finds no
    /// row forgets the entry.
    private func write(_ batch: CacheState.Batch) -> Bool {
        for attempt in 1...2 {
            do {
                try database.transaction {
                    if batch.clear { try database.execute("DELETE FROM \(CacheSchema.table)") }
                    for (key, write) in batch.writes {
                        switch write {
                        case .put(let fingerprint, let answer):
                            try upsert.bind(key, at: 1)
                            try upsert.bind(fingerprint, at: 2)
                            try upsert.bind(answer.contentType, at: 3)
                            try upsert.bind(answer.body.count, at: 4)
                            try upsert.bind(answer.storedAt, at: 5)
                            try upsert.bind(answer.expiresAt, at: 6)
                            try upsert.bind(answer.storedAt, at: 7)
                            try upsert.bind(answer.body, at: 8)
                            try upsert.execute()
                        case .delete:
                            try delete.bind(key, at: 1)
                            try delete.execute()
                        }
                    }
                    for (key, time) in batch.touches {
                        try touch.bind(key, at: 1)
                        try touch.bind(time, at: 2)
                        try touch.execute()
                    }
                }
                return true
            } catch {
                if attempt == 1, let sqliteError = error as? SQLiteError, sqliteError.isBusy { continue }
                return false
            }
        }
        return false
    }
}
