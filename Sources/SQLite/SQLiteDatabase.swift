import CSQLite

/// One SQLite connection.
///
/// Not `Sendable` on purpose: connections are opened with `SQLITE_OPEN_NOMUTEX`, so one must
/// never be used by two threads at once. Each owner confines its connection either to one
/// thread (the telemetry writer) or behind a lock (window queries, the state table).
/// The handle is closed with `sqlite3_close_v2` in `deinit`, which also waits for any
/// statement still alive (statements keep their database alive anyway).
public final class SQLiteDatabase {
    package let handle: OpaquePointer
    /// The path or URI the connection was opened with.
    public let path: String

    /// Opens (and by default creates) a database.
    /// - Parameters:
    ///   - path: a file path, or a `file:` URI when `flags` contains `.uri`.
    ///   - busyTimeout: milliseconds to wait for another connection's lock before failing
    ///     with `SQLITE_BUSY`.
    public init(path: String, flags: SQLiteOpenFlags = .standard, busyTimeout: Int32 = 5_000) throws {
        var opened: OpaquePointer?
        let code = sqlite3_open_v2(path, &opened, flags.rawValue, nil)
        guard code == SQLITE_OK, let opened else {
            let error = SQLiteError.from(code, handle: opened, context: "open \(path)")
            // Even a failed open allocates a handle that must be released.
            if let opened { sqlite3_close_v2(opened) }
            throw error
        }
        handle = opened
        self.path = path
        sqlite3_extended_result_codes(opened, 1)
        let timeoutCode = sqlite3_busy_timeout(opened, busyTimeout)
        guard timeoutCode == SQLITE_OK else {
            let error = SQLiteError.from(timeoutCode, handle: opened, context: "busy_timeout")
            sqlite3_close_v2(opened)
            throw error
        }
    }

    deinit {
        sqlite3_close_v2(handle)
    }

    /// Runs one or more statements that return nothing useful (DDL, `BEGIN`, pragmas whose
    /// rows are ignored).
    public func execute(_ sql: String) throws {
        var errorText: UnsafeMutablePointer<CChar>?
        let code = sqlite3_exec(handle, sql, nil, nil, &errorText)
        if code != SQLITE_OK {
            let message = errorText.map { String(cString: $0) } ?? String(cString: sqlite3_errstr(code))
            sqlite3_free(errorText)
            throw SQLiteError(code: code, message: message, context: String(sql.prefix(200)))
        }
    }

    /// Compiles one statement.
    public func prepare(_ sql: String) throws -> SQLiteStatement {
        var statement: OpaquePointer?
        let code = sqlite3_prepare_v3(handle, sql, -1, UInt32(SQLITE_PREPARE_PERSISTENT), &statement, nil)
        guard code == SQLITE_OK, let statement else {
            throw SQLiteError.from(code, handle: handle, context: "prepare \(sql.prefix(200))")
        }
        return SQLiteStatement(handle: statement, database: self, sql: sql)
    }

    /// Runs a pragma (or any single query) and returns the first column of its first row as
    /// text, nil when it returns no row. `PRAGMA journal_mode=WAL` answers with a row, which
    /// is why pragmas go through here rather than `execute`.
    @discardableResult
    public func pragma(_ text: String) throws -> String? {
        let statement = try prepare("PRAGMA \(text)")
        var first: String?
        try statement.query { row in
            if first == nil { first = row.string(at: 0) }
        }
        return first
    }

    /// Runs `body` in one transaction: committed when it returns, rolled back when it throws.
    ///
    /// `BEGIN IMMEDIATE` takes the write lock up front, so a transaction that writes can never
    /// fail half-way with `SQLITE_BUSY` while upgrading a read lock (a deadlock SQLite can only
    /// report, not wait out).
    public func transaction<T>(_ body: () throws -> T) throws -> T {
        try execute("BEGIN IMMEDIATE")
        do {
            let result = try body()
            try execute("COMMIT")
            return result
        } catch {
            // The rollback can only fail if the transaction is already gone; the original
            // error is the one worth reporting.
            _ = try? execute("ROLLBACK")
            throw error
        }
    }

    /// Rows changed by the last INSERT, UPDATE or DELETE.
    public var changes: Int { Int(sqlite3_changes(handle)) }

    /// The rowid of the last successful INSERT.
    public var lastInsertRowID: Int64 { sqlite3_last_insert_rowid(handle) }

    /// True while a transaction is open (autocommit is off).
    public var inTransaction: Bool { sqlite3_get_autocommit(handle) == 0 }
}
