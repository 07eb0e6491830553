import SQLite

/// Why a record or an operator write did not reach the store: the `reason` label of
/// `ballast_telemetry_records_dropped_total` and the reason `/readyz` gives.
public enum StoreFailureReason: String, Sendable, CaseIterable, Comparable {
    /// The hand-off buffer was full (SQLite fell behind); the record never reached the writer.
    case queueFull = "queue_full"
    /// `SQLITE_FULL`: the file system (or the page limit) has no room for the transaction.
    case diskFull = "disk_full"
    /// `SQLITE_BUSY`/`SQLITE_LOCKED` beyond the busy timeout: another connection or process
    /// held the write lock.
    case busy
    /// `SQLITE_IOERR` (and `SQLITE_CANTOPEN`, `SQLITE_READONLY`): the file system refused a read or write.
    case ioError = "io_error"
    /// Anything else SQLite reported (corruption, out of memory, ...).
    case other = "error"
    /// Handed off after the writer closed (only during shutdown).
    case closed

    /// The reason for an error thrown while writing.
    public init(_ error: any Error) {
        guard let sqlite = error as? SQLiteError else {
            self = .other
            return
        }
        switch sqlite.kind {
        case .diskFull: self = .diskFull
        case .busy: self = .busy
        case .ioError: self = .ioError
        case .constraint, .other: self = .other
        }
    }

    public static func < (lhs: StoreFailureReason, rhs: StoreFailureReason) -> Bool { lhs.rawValue < rhs.rawValue }
}
