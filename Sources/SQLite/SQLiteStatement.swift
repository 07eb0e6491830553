package import CSQLite

/// A prepared statement, compiled once and run many times.
///
/// Every way of running it (`execute`, `query`) resets the statement afterwards, even when a
/// step fails: a statement left mid-step holds a read snapshot (in WAL mode that pins the WAL
/// and stops checkpoints) and keeps its transaction open. Bindings stay until rebound or
/// `clearBindings()`. Like its database, it belongs to one thread at a time.
public final class SQLiteStatement {
    let handle: OpaquePointer
    /// Kept alive for as long as the statement: finalizing after the connection would be a
    /// use-after-free.
    let database: SQLiteDatabase
    public let sql: String

    /// `SQLITE_TRANSIENT`, which the C macro cannot express in Swift: SQLite copies the bytes
    /// during the bind, so Swift's temporary buffer may go away right after.
    package static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    init(handle: OpaquePointer, database: SQLiteDatabase, sql: String) {
        self.handle = handle
        self.database = database
        self.sql = sql
    }

    deinit {
        sqlite3_finalize(handle)
    }

    // MARK: Binding (1-based parameter indexes, as in SQL `?1`)

    public func bind(_ value: Int, at index: Int32) throws {
        try check(sqlite3_bind_int64(handle, index, sqlite3_int64(value)), "bind int")
    }

    public func bind(_ value: Int64, at index: Int32) throws {
        try check(sqlite3_bind_int64(handle, index, value), "bind int64")
    }

    public func bind(_ value: Bool, at index: Int32) throws {
        try check(sqlite3_bind_int64(handle, index, value ? 1 : 0), "bind bool")
    }

    public func bind(_ value: Double, at index: Int32) throws {
        try check(sqlite3_bind_double(handle, index, value), "bind double")
    }

    public func bind(_ value: String, at index: Int32) throws {
        var text = value
        let code = text.withUTF8 { bytes -> Int32 in
            guard let base = bytes.baseAddress, bytes.count > 0 else {
                // A non-null pointer, so the value is an empty string rather than NULL.
                return sqlite3_bind_text(handle, index, "", 0, Self.transient)
            }
            return base.withMemoryRebound(to: CChar.self, capacity: bytes.count) { chars in
                sqlite3_bind_text(handle, index, chars, Int32(bytes.count), Self.transient)
            }
        }
        try check(code, "bind text")
    }

    public func bind(_ value: [UInt8], at index: Int32) throws {
        let code = value.withUnsafeBytes { bytes in
            sqlite3_bind_blob(handle, index, bytes.baseAddress, Int32(bytes.count), Self.transient)
        }
        try check(code, "bind blob")
    }

    public func bindNull(at index: Int32) throws {
        try check(sqlite3_bind_null(handle, index), "bind null")
    }

    public func bind(_ value: Int?, at index: Int32) throws {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    public func bind(_ value: Double?, at index: Int32) throws {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    public func bind(_ value: String?, at index: Int32) throws {
        if let value { try bind(value, at: index) } else { try bindNull(at: index) }
    }

    /// Sets every parameter back to NULL.
    public func clearBindings() {
        sqlite3_clear_bindings(handle)
    }

    // MARK: Running

    /// Steps once. True when a row is available (read it with `row`), false when done.
    /// Callers that step by hand must call `reset()`; `execute` and `query` do it for you.
    public func step() throws -> Bool {
        let code = sqlite3_step(handle)
        switch code {
        case SQLITE_ROW: return true
        case SQLITE_DONE: return false
        default:
            // sqlite3_errmsg describes the step's failure; reset would replace it.
            throw SQLiteError.from(code, handle: database.handle, context: "step \(sql.prefix(200))")
        }
    }

    /// The current row; only meaningful after `step()` returned true.
    public var row: SQLiteRow { SQLiteRow(handle: handle) }

    /// Ends the current run so the statement can run again (bindings are kept).
    public func reset() {
        // The return value repeats the last step's error, which `step` already threw.
        sqlite3_reset(handle)
    }

    /// Runs a statement that returns no rows (or whose rows are not wanted), then resets it.
    public func execute() throws {
        defer { reset() }
        while try step() {}
    }

    /// Runs a query, calling `body` for each row, then resets it.
    public func query(_ body: (SQLiteRow) throws -> Void) throws {
        defer { reset() }
        while try step() {
            try body(SQLiteRow(handle: handle))
        }
    }

    private func check(_ code: Int32, _ what: String) throws {
        guard code == SQLITE_OK else {
            throw SQLiteError.from(code, handle: database.handle, context: "\(what) in \(sql.prefix(200))")
        }
    }
}
