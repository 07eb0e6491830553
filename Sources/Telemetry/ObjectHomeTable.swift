public import SQLite
/// One message batch or file and the region that created it (`object_homes`).
public struct ObjectHomeRow: Sendable, Equatable {
    public let id: String
    public let region: String
    public let created: Double
    public let expires: Double

    public init(id: String, region: String, created: Double, expires: Double) {
        self.id = id
        self.region = region
        self.created = created
        self.expires = expires
    }
}

/// The `object_homes` table, on a connection the caller owns (`TelemetryStore.openConnection`).
public enum ObjectHomeTable {
    /// Records (or moves) an object's home region.
    public static func save(_ row: ObjectHomeRow, on database: SQLiteDatabase) throws {
        let statement = try database.prepare(
            """
            INSERT INTO object_homes(id, region, created, expires) VALUES (?1, ?2, ?3, ?4)
            ON CONFLICT(id) DO UPDATE SET region = excluded.region, created = excluded.created, expires = excluded.expires
            """)
        try statement.bind(row.id, at: 1)
        try statement.bind(row.region, at: 2)
        try statement.bind(row.created, at: 3)
        try statement.bind(row.expires, at: 4)
        try statement.execute()
    }

    public static func forget(id: String, on database: SQLiteDatabase) throws {
        let statement = try database.prepare("DELETE FROM object_homes WHERE id = ?1")
        try statement.bind(id, at: 1)
        try statement.execute()
    }

    /// Deletes the rows expired at `now` and returns the others, newest first, at most `limit`.
    public static func load(now: Double, limit: Int, on database: SQLiteDatabase) throws -> [ObjectHomeRow] {
        let purge = try database.prepare("DELETE FROM object_homes WHERE expires <= ?1")
        try purge.bind(now, at: 1)
        try purge.execute()
        let statement = try database.prepare("SELECT id, region, created, expires FROM object_homes ORDER BY created DESC LIMIT ?1")
        try statement.bind(limit, at: 1)
        var rows: [ObjectHomeRow] = []
        try statement.query { row in
            guard let id = row.string(at: 0), let region = row.string(at: 1) else { return }
            rows.append(ObjectHomeRow(id: id, region: region, created: row.double(at: 2), expires: row.double(at: 3)))
        }
        return rows
    }
}
