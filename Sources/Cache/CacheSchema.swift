import SQLite

/// The cache's table and connection settings. The table may live in its own file or in the
/// telemetry database (its name does not clash); either way it is created if missing, so
/// there is nothing to migrate yet. A later change of shape gets a new table name.
enum CacheSchema {
    static let table = "response_cache"

    /// `body` is the last column on purpose: SQLite reads a row's columns in order, and a
    /// large body spills into overflow pages, so loading the index (every column but the
    /// body) never reads a body.
    static let createTable = """
        CREATE TABLE IF NOT EXISTS \(table) (
            key TEXT PRIMARY KEY NOT NULL,
            fingerprint TEXT NOT NULL,
            content_type TEXT NOT NULL,
            bytes INTEGER NOT NULL,
            stored_at REAL NOT NULL,
            expires_at REAL NOT NULL,
            last_used REAL NOT NULL,
            body BLOB NOT NULL
        )
        """

    /// WAL, so the lookup connection reads while the writer commits; `synchronous=NORMAL`,
    /// which in WAL mode can lose the last commits on power loss but never corrupts the file
    /// (a cache can afford that).
    static func configure(_ database: SQLiteDatabase) throws {
        _ = try database.pragma("journal_mode = WAL")
        try database.execute("PRAGMA synchronous = NORMAL")
    }

    /// What to open for `path`. Separate connections to `:memory:` would each get their own
    /// empty database, so `:memory:` becomes a `memdb` URI that the cache's two connections
    /// share (as `TelemetryStore` does); it lives while either is open.
    static func openTarget(for path: String) -> (name: String, flags: SQLiteOpenFlags) {
        guard path == ":memory:" else { return (path, .standard) }
        return ("file:/ballast-cache-\(UInt64.random(in: 0 ... UInt64.max))?vfs=memdb", SQLiteOpenFlags.standard.union(.uri))
    }

    static func create(_ database: SQLiteDatabase) throws {
        try configure(database)
        try database.execute(createTable)
    }
}
