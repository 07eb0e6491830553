import CSQLite
import Telemetry
import Testing
@testable import SQLite

@Suite("SQLite wrapper")
struct SQLiteTests {
    @Test("binds and reads back every type, and reuses a statement after reset")
    func bindAndRead() throws {
        let directory = try TemporaryDirectory()
        let database = try SQLiteDatabase(path: directory.path("t.db"))
        try database.execute("CREATE TABLE t (i INTEGER, d REAL, s TEXT, b BLOB, n TEXT)")
        let insert = try database.prepare("INSERT INTO t VALUES (?1, ?2, ?3, ?4, ?5)")
        for index in 0..<3 {
            try insert.bind(Int.max - index, at: 1)
            try insert.bind(1.5 + Double(index), at: 2)
            try insert.bind("héllo \(index)", at: 3)
            try insert.bind([0, 1, 2, UInt8(index)], at: 4)
            try insert.bind(nil as String?, at: 5)
            try insert.execute()
        }
        #expect(database.changes == 1)
        #expect(database.lastInsertRowID == 3)

        var rows: [(Int, Double, String?, [UInt8], Bool)] = []
        try database.prepare("SELECT i, d, s, b, n FROM t ORDER BY rowid").query { row in
            rows.append((row.int(at: 0), row.double(at: 1), row.string(at: 2), row.blob(at: 3), row.isNull(at: 4)))
        }
        #expect(rows.count == 3)
        #expect(rows[2].0 == Int.max - 2)
        #expect(rows[2].1 == 3.5)
        #expect(rows[2].2 == "héllo 2")
        #expect(rows[2].3 == [0, 1, 2, 2])
        #expect(rows[2].4)

        // The empty string is a string, not NULL.
        let empty = try database.prepare("SELECT ?1 IS NULL, length(?1)")
        try empty.bind("", at: 1)
        var result: (Int, Int) = (-1, -1)
        try empty.query { row in result = (row.int(at: 0), row.int(at: 1)) }
        #expect(result == (0, 0))
    }

    @Test("C error codes become SQLiteError with the code and SQLite's message")
    func errors() throws {
        let directory = try TemporaryDirectory()
        let database = try SQLiteDatabase(path: directory.path("t.db"))
        do {
            _ = try database.prepare("SELEC nonsense")
            Issue.record("prepare should fail")
        } catch let error as SQLiteError {
            #expect(error.primaryCode == SQLITE_ERROR)
            #expect(error.message.contains("syntax error"))
        }
        try database.execute("CREATE TABLE u (k TEXT PRIMARY KEY)")
        let insert = try database.prepare("INSERT INTO u VALUES (?1)")
        try insert.bind("a", at: 1)
        try insert.execute()
        do {
            try insert.execute()
            Issue.record("duplicate key should fail")
        } catch let error as SQLiteError {
            #expect(error.primaryCode == SQLITE_CONSTRAINT)
            #expect(error.message.contains("UNIQUE"))
        }
        // The failed step was reset: the statement works again with a new binding.
        try insert.bind("b", at: 1)
        try insert.execute()

        do {
            _ = try SQLiteDatabase(path: directory.path("missing/dir/x.db"))
            Issue.record("open should fail")
        } catch let error as SQLiteError {
            #expect(error.primaryCode == SQLITE_CANTOPEN)
        }
    }

    @Test("a transaction commits on return and rolls back on throw")
    func transactions() throws {
        struct Boom: Error {}
        let directory = try TemporaryDirectory()
        let database = try SQLiteDatabase(path: directory.path("t.db"))
        try database.execute("CREATE TABLE t (x INTEGER)")
        try database.transaction { try database.execute("INSERT INTO t VALUES (1)") }
        #expect(throws: Boom.self) {
            try database.transaction {
                try database.execute("INSERT INTO t VALUES (2)")
                throw Boom()
            }
        }
        #expect(!database.inTransaction)
        #expect(try database.pragma("user_version") == "0")
        var count = 0
        try database.prepare("SELECT count(*) FROM t").query { count = $0.int(at: 0) }
        #expect(count == 1)
    }

    @Test("journal_mode=WAL answers with a row")
    func walPragma() throws {
        let directory = try TemporaryDirectory()
        let database = try SQLiteDatabase(path: directory.path("t.db"))
        #expect(try database.pragma("journal_mode = WAL") == "wal")
    }
}
