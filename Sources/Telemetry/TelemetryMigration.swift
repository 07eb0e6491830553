/// One step of the schema: a unique name and the SQL that applies it.
///
/// Migrations are applied in the order given, each at most once and in its own transaction
/// together with its row in `schema_migrations`, so a crash leaves either all of a step or
/// none of it. Names sort the same as their order (`0001_…`) so the table reads naturally.
public struct TelemetryMigration: Sendable, Equatable {
    public var name: String
    public var sql: String

    public init(name: String, sql: String) {
        self.name = name
        self.sql = sql
    }
}
