import Synchronization
import SQLite

/// Reads the audit table, newest first, in pages: what the control API's `actions` route and
/// the status page show. Keeps one read connection of its own (WAL readers never block the
/// telemetry writer).
public final class AuditLog: Sendable {
    private let connection: Mutex<SQLiteDatabase>

    public init(store: TelemetryStore) throws {
        connection = Mutex(try store.openConnection())
    }

    /// Entries with `since <= time <= until` and `id < before`, newest first, at most `limit`.
    /// `kind` and `target` narrow the result when given.
    public func entries(
        since: Double? = nil, until: Double? = nil, before: Int? = nil, kind: String? = nil,
        target: String? = nil, limit: Int
    ) throws -> [AuditEntry] {
        var conditions: [String] = []
        if since != nil { conditions.append("time >= ?1") }
        if until != nil { conditions.append("time <= ?2") }
        if before != nil { conditions.append("id < ?3") }
        if kind != nil { conditions.append("kind = ?4") }
        if target != nil { conditions.append("target = ?5") }
        let filter = conditions.isEmpty ? "" : "WHERE " + conditions.joined(separator: " AND ")
        let sql = "SELECT id, time, kind, target, action, reason, actor FROM audit \(filter) ORDER BY id DESC LIMIT ?6"
        return try connection.withLock { database in
            let statement = try database.prepare(sql)
            try statement.bind(since, at: 1)
            try statement.bind(until, at: 2)
            try statement.bind(before, at: 3)
            try statement.bind(kind, at: 4)
            try statement.bind(target, at: 5)
            try statement.bind(max(0, limit), at: 6)
            var entries: [AuditEntry] = []
            try statement.query { row in
                entries.append(
                    AuditEntry(
                        id: row.int(at: 0), time: row.double(at: 1), kind: row.string(at: 2) ?? "",
                        target: row.string(at: 3) ?? "", action: row.string(at: 4) ?? "",
                        reason: row.string(at: 5) ?? "", actor: row.string(at: 6) ?? ""))
            }
            return entries
        }
    }
}
