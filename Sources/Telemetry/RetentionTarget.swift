import SQLite
/// One table the writer trims: how old its rows may get and the statements that find and
/// delete the oldest in small batches.
///
/// `DELETE … WHERE rowid IN (SELECT rowid … LIMIT n)` keeps each delete a short transaction
/// of its own, so the writer can commit a batch of new records between two deletes and
/// retention never stalls writing, however far behind it is.
struct RetentionTarget {
    var table: String
    /// Seconds a row is kept.
    var age: Double
    /// Bucket width in seconds for rollup tables (a bucket goes once its end is older than
    /// `age`); nil for tables of timestamped rows.
    var bucketWidth: Int?
    /// `SELECT EXISTS(…)`: is anything past the cutoff? A cheap index probe, so an idle check
    /// opens no write transaction.
    let probe: SQLiteStatement
    let delete: SQLiteStatement

    init(database: SQLiteDatabase, table: String, age: Double, bucketWidth: Int?) throws {
        self.table = table
        self.age = age
        self.bucketWidth = bucketWidth
        let condition = bucketWidth == nil ? "time < ?1" : "bucket <= ?1"
        probe = try database.prepare("SELECT EXISTS(SELECT 1 FROM \(table) WHERE \(condition))")
        delete = try database.prepare(
            "DELETE FROM \(table) WHERE rowid IN (SELECT rowid FROM \(table) WHERE \(condition) LIMIT ?2)")
    }

    /// The value bound to `?1` at wall time `now`.
    func threshold(wall: Double) -> Double {
        let cutoff = wall - age
        guard let bucketWidth else { return cutoff }
        // The last bucket start whose whole bucket ends at or before the cutoff.
        return cutoff.rounded(.down) - Double(bucketWidth)
    }
}
