public import BallastCore
import Synchronization
public import SQLite

/// The SQLite file that holds telemetry, the audit log and controller state.
///
/// Opening it applies the schema migrations and fixes the file-level settings; every
/// component then opens its own connection with `openConnection()` (SQLite connections are
/// per thread here). The store keeps one connection of its own, behind a lock, for the small
/// `state` table and for checks; it also keeps an in-memory database (`:memory:`) alive.
public final class TelemetryStore: Sendable {
    /// The path as given (`:memory:` for a database that lives only in this process).
    public let path: String
    /// What `sqlite3_open_v2` is given: the path, or a `memdb` URI for `:memory:`.
    let openName: String
    let openFlags: SQLiteOpenFlags
    /// Milliseconds a connection waits for a lock before failing with `SQLITE_BUSY`.
    public let busyTimeout: Int32
    /// True when every connection is in WAL mode (false only for `:memory:`).
    public let isWAL: Bool
    /// Names of the migrations this open applied (empty when the file was up to date).
    public let appliedMigrations: [String]
    /// Whether writes are landing: every writer batch and every state write reports here.
    public let health: StoreHealth
    private let clock: any TimeSource
    private let connection: Mutex<SQLiteDatabase>
    /// `limitPages(to:)`: the cap (0 for none) and a generation each connection compares with
    /// the one it last applied, so applying costs one atomic load per write when nothing changed.
    private let pageLimit = Atomic<Int>(0)
    private let pageLimitGeneration = Atomic<Int>(0)
    /// The generation applied to `connection` (read and written under its lock).
    private let connectionLimitGeneration = Atomic<Int>(0)

    /// Opens or creates the store and applies any migration it has not seen yet.
    /// - Parameters:
    ///   - path: a file path, or `:memory:` for a process-local database shared by this
    ///     store's connections (nothing touches the disk).
    ///   - clock: wall time for `schema_migrations.applied_at` and `state.updated_at`.
    ///   - migrations: the schema, in order; tests pass extra steps.
    public init(
        path: String, clock: any TimeSource = SystemClock(),
        migrations: [TelemetryMigration] = TelemetryMigration.schema, busyTimeout: Int32 = 5_000
    ) throws {
        self.path = path
        self.clock = clock
        self.busyTimeout = busyTimeout
        health = StoreHealth(clock: clock)
        if path == ":memory:" {
            // Separate connections to ":memory:" would each get their own empty database;
            // the memdb VFS shares one by name within the process, with normal locking
            // (unlike shared-cache mode). It lives while any connection is open: ours.
            openName = "file:/ballast-\(UInt64.random(in: 0 ... UInt64.max))?vfs=memdb"
            openFlags = SQLiteOpenFlags.standard.union(.uri)
        } else {
            openName = path
            openFlags = .standard
        }
        let database = try SQLiteDatabase(path: openName, flags: openFlags, busyTimeout: busyTimeout)
        // auto_vacuum can only be chosen before the first table exists; INCREMENTAL lets
        // the writer hand free pages back to the file system a little at a time.
        if try database.pragma("page_count") == "0" {
            try database.execute("PRAGMA auto_vacuum = INCREMENTAL")
        }
        isWAL = try Self.configure(database, wantWAL: path != ":memory:")
        appliedMigrations = try Self.migrate(database, migrations: migrations, wall: clock.wallTime())
        connection = Mutex(database)
    }

    /// A new connection to the store, configured like every Ballast connection: WAL,
    /// `synchronous=NORMAL`, the busy timeout. The caller confines it to one thread at a time.
    public func openConnection() throws -> SQLiteDatabase {
        let database = try SQLiteDatabase(path: openName, flags: openFlags, busyTimeout: busyTimeout)
        _ = try Self.configure(database, wantWAL: isWAL)
        return database
    }

    /// Connection settings. WAL lets readers (rules, control API) run while the writer
    /// writes; `synchronous=NORMAL` in WAL mode fsyncs only at checkpoints, so a power loss
    /// can lose the last transactions but never corrupts the file. Returns whether WAL is on.
    static func configure(_ database: SQLiteDatabase, wantWAL: Bool) throws -> Bool {
        var wal = false
        if wantWAL {
            let mode = try database.pragma("journal_mode = WAL") ?? ""
            guard mode.lowercased() == "wal" else { throw TelemetryStoreError.walUnavailable(journalMode: mode) }
            wal = true
        }
        try database.execute("PRAGMA synchronous = NORMAL")
        // Nothing secret is stored, so deleted rows need not be zeroed on disk (the Debian
        // build turns secure_delete on by default); FAST avoids the extra writes.
        try database.pragma("secure_delete = FAST")
        // A checkpoint truncates the -wal file to this size, so one burst does not leave a
        // large WAL behind.
        try database.pragma("journal_size_limit = \(16 << 20)")
        return wal
    }

    /// Applies, in order, the migrations whose names are not in `schema_migrations`, each in
    /// its own transaction. Re-reads the table inside each transaction, so two processes
    /// opening a new file at once apply every step exactly once.
    static func migrate(_ database: SQLiteDatabase, migrations: [TelemetryMigration], wall: Double) throws -> [String] {
        try database.execute(
            """
            CREATE TABLE IF NOT EXISTS schema_migrations (
                name       TEXT PRIMARY KEY,
                applied_at REAL NOT NULL
            )
            """)
        let known = Set(migrations.map(\.name))
        let unknown = try appliedNames(database).filter { !known.contains($0) }
        guard unknown.isEmpty else { throw TelemetryStoreError.unknownMigrations(unknown) }

        var applied: [String] = []
        for migration in migrations {
            let didApply = try database.transaction { () throws -> Bool in
                guard try !appliedNames(database).contains(migration.name) else { return false }
                try database.execute(migration.sql)
                let record = try database.prepare("INSERT INTO schema_migrations(name, applied_at) VALUES (?1, ?2)")
                try record.bind(migration.name, at: 1)
                try record.bind(wall, at: 2)
                try record.execute()
                return true
            }
            if didApply { applied.append(migration.name) }
        }
        return applied
    }

    static func appliedNames(_ database: SQLiteDatabase) throws -> [String] {
        var names: [String] = []
        try database.prepare("SELECT name FROM schema_migrations ORDER BY rowid").query { row in
            if let name = row.string(at: 0) { names.append(name) }
        }
        return names
    }

    // MARK: Reading the store's own connection

    /// The migrations recorded in the file, in the order they were applied.
    public func migrationHistory() throws -> [String] {
        try connection.withLock { database in try Self.appliedNames(database) }
    }

    /// `PRAGMA integrity_check`: `"ok"` or SQLite's list of problems.
    public func integrityCheck() throws -> String {
        try connection.withLock { database in
            var lines: [String] = []
            try database.prepare("PRAGMA integrity_check").query { row in
                lines.append(row.string(at: 0) ?? "")
            }
            return lines.joined(separator: "\n")
        }
    }

    /// Runs a single-value query on the store's connection (for checks and tests), e.g.
    /// `SELECT count(*) FROM requests`; nil when it returns no row or NULL.
    public func scalar(_ sql: String) throws -> String? {
        try connection.withLock { database in
            var value: String?
            try database.prepare(sql).query { row in
                if value == nil { value = row.string(at: 0) }
            }
            return value
        }
    }

    // MARK: Size cap

    /// Caps the database at `pages` pages on every connection, from each one's next write
    /// (SQLite's `max_page_count`, which never goes below the current size: a cap of 1
    /// freezes the file where it is). A write that needs a page beyond it fails with
    /// `SQLITE_FULL` exactly as on a full disk, so tests exercise the disk-full path in
    /// process, without a file system to fill. Nil lifts the cap.
    public func limitPages(to pages: Int?) {
        pageLimit.store(max(pages ?? 0, 0), ordering: .relaxed)
        pageLimitGeneration.add(1, ordering: .releasing)
    }

    /// Applies the current page cap to `database` if it changed since `applied`.
    func applyPageLimit(_ database: SQLiteDatabase, applied: inout Int) throws {
        let generation = pageLimitGeneration.load(ordering: .acquiring)
        guard generation != applied else { return }
        let pages = pageLimit.load(ordering: .relaxed)
        // SQLite clamps to its compile-time maximum; this is "no cap".
        try database.pragma("max_page_count = \(pages > 0 ? pages : 4_294_967_294)")
        applied = generation
    }

    /// Runs a write, reporting its outcome to `health`. A constraint failure (invalid JSON
    /// refused by the table's CHECK) is the caller's mistake, not the store's: not reported.
    private func reporting<T>(_ body: () throws -> T) throws -> T {
        do {
            let result = try body()
            health.succeeded()
            return result
        } catch {
            if (error as? SQLiteError)?.kind != .constraint { health.failed(error) }
            throw error
        }
    }

    /// Applies the page cap to the store's own connection (called under its lock).
    private func prepareForWrite(_ database: SQLiteDatabase) throws {
        var applied = connectionLimitGeneration.load(ordering: .relaxed)
        try applyPageLimit(database, applied: &applied)
        connectionLimitGeneration.store(applied, ordering: .relaxed)
    }

    // MARK: State

    /// The JSON document stored under `key`, nil when there is none.
    public func state(forKey key: String) throws -> String? {
        try connection.withLock { database in
            let statement = try database.prepare("SELECT value FROM state WHERE key = ?1")
            try statement.bind(key, at: 1)
            var value: String?
            try statement.query { row in value = row.string(at: 0) }
            return value
        }
    }

    /// Stores a JSON document under `key`, replacing what was there. Invalid JSON is refused
    /// by the table's CHECK constraint (an `SQLiteError` with `SQLITE_CONSTRAINT`).
    public func setState(_ json: String, forKey key: String) throws {
        let wall = clock.wallTime()
        try reporting {
            try connection.withLock { database in
                try prepareForWrite(database)
                try Self.put(json, forKey: key, wall: wall, in: database)
            }
        }
    }

    public func removeState(forKey key: String) throws {
        let wall = clock.wallTime()
        try reporting {
            try connection.withLock { database in
                try prepareForWrite(database)
                try Self.put(nil, forKey: key, wall: wall, in: database)
            }
        }
    }

    /// Stores (or, with nil, removes) the document under `key` and appends `audit` to the
    /// audit table in one transaction: both are kept or neither is. What an operator's write
    /// goes through, so a 200 can only follow a change that a restart will read back and
    /// the audit trail shows. Throws the SQLite error (`SQLITE_FULL`, `SQLITE_BUSY` after the
    /// busy timeout, ...) when the transaction did not commit.
    public func commitState(_ json: String?, forKey key: String, audit: AuditEvent) throws {
        let wall = clock.wallTime()
        try reporting {
            try connection.withLock { database in
                try prepareForWrite(database)
                try Self.insert(audit, andPut: json, forKey: key, wall: wall, in: database)
            }
        }
    }

    private static func insert(
        _ audit: AuditEvent, andPut json: String?, forKey key: String, wall: Double,
        in database: SQLiteDatabase
    ) throws {
        try database.transaction {
            try Self.put(json, forKey: key, wall: wall, in: database)
            let statement = try database.prepare(
                """
                INSERT INTO audit(time, kind, target, action, reason, actor) VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                """)
            try statement.bind(audit.time, at: 1)
            try statement.bind(audit.kind.rawValue, at: 2)
            try statement.bind(audit.target, at: 3)
            try statement.bind(audit.action, at: 4)
            try statement.bind(audit.reason, at: 5)
            try statement.bind(audit.actor, at: 6)
            try statement.execute()
        }
    }

    private static func put(_ json: String?, forKey key: String, wall: Double, in database: SQLiteDatabase) throws {
        guard let json else {
            let statement = try database.prepare("DELETE FROM state WHERE key = ?1")
            try statement.bind(key, at: 1)
            try statement.execute()
            return
        }
        let statement = try database.prepare(
            """
            INSERT INTO state(key, value, updated_at) VALUES (?1, ?2, ?3)
            ON CONFLICT(key) DO UPDATE SET value = excluded.value, updated_at = excluded.updated_at
            """)
        try statement.bind(key, at: 1)
        try statement.bind(json, at: 2)
        try statement.bind(wall, at: 3)
        try statement.execute()
    }

    /// Every key and its JSON document.
    public func allState() throws -> [String: String] {
        try connection.withLock { database in
            var result: [String: String] = [:]
            try database.prepare("SELECT key, value FROM state").query { row in
                if let key = row.string(at: 0), let value = row.string(at: 1) { result[key] = value }
            }
            return result
        }
    }
}
