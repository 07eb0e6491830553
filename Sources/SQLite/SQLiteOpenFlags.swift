import CSQLite

/// The `sqlite3_open_v2` flags Ballast uses. `noMutex` is always wanted: every connection is
/// confined to one thread at a time (the writer thread, or a caller holding the owner's
/// lock), so SQLite's own per-connection mutex would only cost time.
public struct SQLiteOpenFlags: OptionSet, Sendable {
    public let rawValue: Int32

    public init(rawValue: Int32) { self.rawValue = rawValue }

    public static let readOnly = SQLiteOpenFlags(rawValue: SQLITE_OPEN_READONLY)
    public static let readWrite = SQLiteOpenFlags(rawValue: SQLITE_OPEN_READWRITE)
    public static let create = SQLiteOpenFlags(rawValue: SQLITE_OPEN_CREATE)
    public static let noMutex = SQLiteOpenFlags(rawValue: SQLITE_OPEN_NOMUTEX)
    public static let uri = SQLiteOpenFlags(rawValue: SQLITE_OPEN_URI)

    /// Read-write, created when missing, no connection mutex.
    public static let standard: SQLiteOpenFlags = [.readWrite, .create, .noMutex]
}
