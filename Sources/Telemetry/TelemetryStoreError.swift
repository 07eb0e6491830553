/// Why the telemetry store refused to open or answer, beyond a plain SQLite failure.
public enum TelemetryStoreError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The database has migrations this build does not know: it was written by a newer
    /// Ballast, and running older code against it could corrupt what it added.
    case unknownMigrations([String])
    /// `PRAGMA journal_mode=WAL` did not take (e.g. a file system without shared memory);
    /// without WAL readers would block the writer.
    case walUnavailable(journalMode: String)
    /// A rollup row holds a histogram that does not parse.
    case corruptHistogram(table: String, text: String)
    /// A window length outside 1 s … the longest retention.
    case invalidWindow(Double)

    public var description: String {
        switch self {
        case .unknownMigrations(let names):
            "the database has migrations this version does not know (\(names.joined(separator: ", "))); it was written by a newer Ballast"
        case .walUnavailable(let mode):
            "could not switch the database to WAL (journal_mode is \(mode))"
        case .corruptHistogram(let table, let text):
            "corrupt histogram in \(table): \(text.prefix(80))"
        case .invalidWindow(let length):
            "window length \(length) s is outside 1 s … the retention"
        }
    }
}
