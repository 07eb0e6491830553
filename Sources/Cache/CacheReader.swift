import SQLite

/// The connection that reads answers whose body is not in memory (after a restart, or
/// after the memory front dropped it). Used only under `ResponseCache`'s reader lock; WAL
/// lets it read while the writer thread commits.
final class CacheReader {
    private let database: SQLiteDatabase
    private let select: SQLiteStatement

    init(name: String, flags: SQLiteOpenFlags) throws {
        database = try SQLiteDatabase(path: name, flags: flags)
        try CacheSchema.configure(database)
        select = try database.prepare(
            """
            SELECT fingerprint, content_type, stored_at, expires_at, body FROM \(CacheSchema.table) WHERE key = ?1
            """)
    }

    /// The stored row for `key`, or nil when there is none.
    func read(_ key: String) throws -> (fingerprint: String, answer: CachedAnswer)? {
        try select.bind(key, at: 1)
        var found: (fingerprint: String, answer: CachedAnswer)?
        try select.query { row in
            found = (
                row.string(at: 0) ?? "",
                CachedAnswer(
                    body: row.blob(at: 4), contentType: row.string(at: 1) ?? "application/json",
                    storedAt: row.double(at: 2), expiresAt: row.double(at: 3))
            )
        }
        return found
    }
}
