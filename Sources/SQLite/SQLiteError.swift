import CSQLite

/// A failed SQLite call: the result code and SQLite's own message, plus what Ballast was
/// doing. C result codes become this error at the wrapper, so nothing above `SQLiteDatabase`
/// and `SQLiteStatement` ever inspects an `Int32`.
public struct SQLiteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The (primary or extended) SQLite result code, e.g. `SQLITE_BUSY` (5).
    public let code: Int32
    /// `sqlite3_errmsg` at the time of the failure, or `sqlite3_errstr(code)` when there was
    /// no connection to ask.
    public let message: String
    /// The operation or SQL that failed, for logs.
    public let context: String

    public init(code: Int32, message: String, context: String) {
        self.code = code
        self.message = message
        self.context = context
    }

    /// The primary result code (the low byte), for comparisons with `SQLITE_BUSY` and friends
    /// whatever the extended code was.
    public var primaryCode: Int32 { code & 0xFF }

    /// True for the codes that mean "another connection holds the lock": retrying later can
    /// succeed.
    public var isBusy: Bool { primaryCode == SQLITE_BUSY || primaryCode == SQLITE_LOCKED }

    /// What a failure means to a caller that does not speak SQLite's result codes.
    public enum Kind: Sendable, Equatable {
        /// `SQLITE_FULL`: no room for the transaction.
        case diskFull
        /// `SQLITE_BUSY`, `SQLITE_LOCKED`: another connection holds the lock.
        case busy
        /// `SQLITE_IOERR`, `SQLITE_CANTOPEN`, `SQLITE_READONLY`: the file system refused.
        case ioError
        /// `SQLITE_CONSTRAINT`: a row broke a constraint (a duplicate key, say).
        case constraint
        case other
    }

    public var kind: Kind {
        switch primaryCode {
        case SQLITE_FULL: .diskFull
        case SQLITE_BUSY, SQLITE_LOCKED: .busy
        case SQLITE_IOERR, SQLITE_CANTOPEN, SQLITE_READONLY: .ioError
        case SQLITE_CONSTRAINT: .constraint
        default: .other
        }
    }

    public var description: String { "SQLite error \(code) (\(message)) in \(context)" }

    /// The error for `code` as reported by the connection `handle` (nil when opening failed
    /// before a handle existed).
    package static func from(_ code: Int32, handle: OpaquePointer?, context: String) -> SQLiteError {
        let message: String
        if let handle, let text = sqlite3_errmsg(handle) {
            message = String(cString: text)
        } else if let text = sqlite3_errstr(code) {
            message = String(cString: text)
        } else {
            message = "unknown error"
        }
        return SQLiteError(code: code, message: message, context: context)
    }
}
