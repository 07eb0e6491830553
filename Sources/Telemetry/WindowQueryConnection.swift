import BallastCore
import SQLite

/// The connection behind `TelemetryWindows`, with its statements prepared once per table and
/// filter shape. Used only under the owner's lock.
final class WindowQueryConnection {
    let database: SQLiteDatabase
    private var rollupStatements: [String: SQLiteStatement] = [:]
    private var streakStatements: [String: SQLiteStatement] = [:]

    init(database: SQLiteDatabase) {
        self.database = database
    }

    /// Adds the rollups of `table` with bucket in `[from, to]` selected by `filter` to `total`.
    func sum(table: String, from: Int, to: Int, filter: TelemetryFilter, into total: inout TelemetryCounts) throws {
        guard from <= to else { return }
        let statement = try rollupStatement(table: table, filter: filter)
        try statement.bind(from, at: 1)
        try statement.bind(to, at: 2)
        if let region = filter.region { try statement.bind(region, at: 3) }
        if let model = filter.model { try statement.bind(model, at: 4) }
        try statement.query { row in
            total.merge(try TelemetryCounts(row: row, first: 0, table: table))
        }
    }

    private func rollupStatement(table: String, filter: TelemetryFilter) throws -> SQLiteStatement {
        let shape = "\(table) \(filter.region != nil) \(filter.model != nil)"
        if let statement = rollupStatements[shape] { return statement }
        var conditions = ["bucket BETWEEN ?1 AND ?2"]
        if filter.region != nil { conditions.append("region = ?3") }
        if filter.model != nil { conditions.append("model = ?4") }
        let statement = try database.prepare(
            """
            SELECT \(TelemetryCounts.rollupColumns.joined(separator: ", ")) FROM \(table)
            WHERE \(conditions.joined(separator: " AND "))
            """)
        rollupStatements[shape] = statement
        return statement
    }

    /// Continues a streak in the `requests` table from id `through` downwards: counts the
    /// newest rows selected by `filter` whose outcome is in `failing`, stopping at the first
    /// that is not, or at `limit`.
    func streak(through: Int64, filter: TelemetryFilter, failing: Set<OutcomeClass>, limit: Int) throws -> Int {
        guard limit > 0 else { return 0 }
        let statement = try streakStatement(filter: filter)
        try statement.bind(through, at: 1)
        try statement.bind(limit, at: 2)
        // Raw rows keep NULL for "no region/model"; the filter spells that "" (as the rollups do).
        if let region = filter.region { try statement.bind(region.isEmpty ? nil : region, at: 3) }
        if let model = filter.model { try statement.bind(model.isEmpty ? nil : model, at: 4) }
        var count = 0
        defer { statement.reset() }
        while try statement.step() {
            guard let outcome = statement.row.string(at: 0).flatMap(OutcomeClass.init(rawValue:)),
                failing.contains(outcome)
            else { break }
            count += 1
        }
        return count
    }

    private func streakStatement(filter: TelemetryFilter) throws -> SQLiteStatement {
        let shape = "\(filter.region != nil) \(filter.model != nil)"
        if let statement = streakStatements[shape] { return statement }
        // A region filter reads the (region, id) index backwards; otherwise the rowid order.
        var conditions = ["id <= ?1"]
        if filter.region != nil { conditions.insert("region IS ?3", at: 0) }
        if filter.model != nil { conditions.append("model IS ?4") }
        let statement = try database.prepare(
            """
            SELECT outcome FROM requests WHERE \(conditions.joined(separator: " AND "))
            ORDER BY id DESC LIMIT ?2
            """)
        streakStatements[shape] = statement
        return statement
    }
}
