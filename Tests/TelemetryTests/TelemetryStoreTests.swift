import BallastCore
import BallastTesting
import CSQLite
import Telemetry
import Testing
@testable import SQLite

@Suite("Telemetry store: migrations, settings, state")
struct TelemetryStoreTests {
    @Test("migrations apply once, in order; reopening applies nothing new")
    func migrationsOnce() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("t.db")
        let extra = TelemetryMigration(
            name: "0090_test_extra",
            sql: """
                CREATE TABLE extra (x INTEGER);
                INSERT INTO extra SELECT count(*) FROM requests;
                """)
        let third = TelemetryMigration(name: "0091_test_third", sql: "INSERT INTO extra VALUES (3)")

        let first = try TelemetryStore(path: path)
        #expect(first.appliedMigrations == ["0001_initial", "0002_request_canary", "0003_object_homes", "0004_request_client", "0005_usage"])

        // A later build adds two steps: only those run, in order (the second needs the first).
        let second = try TelemetryStore(path: path, migrations: TelemetryMigration.schema + [extra, third])
        #expect(second.appliedMigrations == ["0090_test_extra", "0091_test_third"])
        #expect(
            try second.migrationHistory() == [
                "0001_initial", "0002_request_canary", "0003_object_homes", "0004_request_client", "0005_usage", "0090_test_extra", "0091_test_third",
            ])
        #expect(try second.scalar("SELECT group_concat(x) FROM extra") == "0,3")

        let third2 = try TelemetryStore(path: path, migrations: TelemetryMigration.schema + [extra, third])
        #expect(third2.appliedMigrations.isEmpty)
        #expect(try third2.scalar("SELECT count(*) FROM extra") == "2")
    }

    @Test("a failing migration leaves nothing behind and is retried on the next open")
    func failingMigration() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("t.db")
        let broken = TelemetryMigration(name: "0090_broken", sql: "CREATE TABLE half (x); SELECT * FROM nowhere;")
        #expect(throws: SQLiteError.self) {
            _ = try TelemetryStore(path: path, migrations: TelemetryMigration.schema + [broken])
        }
        let store = try TelemetryStore(path: path)
        #expect(try store.migrationHistory() == ["0001_initial", "0002_request_canary", "0003_object_homes", "0004_request_client", "0005_usage"])
        #expect(try store.scalar("SELECT count(*) FROM sqlite_master WHERE name = 'half'") == "0")
    }

    @Test("a database from a newer build is refused")
    func unknownMigration() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("t.db")
        let future = TelemetryMigration(name: "0099_future", sql: "CREATE TABLE future (x)")
        _ = try TelemetryStore(path: path, migrations: TelemetryMigration.schema + [future])
        #expect(throws: TelemetryStoreError.unknownMigrations(["0099_future"])) {
            _ = try TelemetryStore(path: path)
        }
    }

    @Test("WAL, synchronous=NORMAL and incremental auto-vacuum are set")
    func settings() throws {
        let directory = try TemporaryDirectory()
        let store = try TelemetryStore(path: directory.path("t.db"))
        #expect(store.isWAL)
        let connection = try store.openConnection()
        #expect(try connection.pragma("journal_mode") == "wal")
        #expect(try connection.pragma("synchronous") == "1")
        #expect(try connection.pragma("auto_vacuum") == "2")
        #expect(try connection.pragma("busy_timeout") == "5000")
        #expect(try store.integrityCheck() == "ok")
    }

    @Test("state holds JSON documents by key and refuses anything else")
    func state() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let store = try TelemetryStore(path: directory.path("t.db"), clock: clock)
        #expect(try store.state(forKey: "circuit/primary") == nil)
        try store.setState(#"{"state":"open","until":12}"#, forKey: "circuit/primary")
        try store.setState(#"{"weight":0}"#, forKey: "override/secondary")
        try store.setState(#"{"state":"closed"}"#, forKey: "circuit/primary")
        #expect(try store.state(forKey: "circuit/primary") == #"{"state":"closed"}"#)
        #expect(try store.allState().count == 2)
        do {
            try store.setState("not json", forKey: "bad")
            Issue.record("invalid JSON should be refused")
        } catch let error as SQLiteError {
            #expect(error.primaryCode == SQLITE_CONSTRAINT)
        }
        try store.removeState(forKey: "override/secondary")
        #expect(try store.allState() == ["circuit/primary": #"{"state":"closed"}"#])

        // Survives a reopen.
        let reopened = try TelemetryStore(path: directory.path("t.db"))
        #expect(try reopened.state(forKey: "circuit/primary") == #"{"state":"closed"}"#)
    }

    @Test(":memory: is one database shared by the store's connections")
    func memory() throws {
        let clock = ManualClock()
        let store = try TelemetryStore(path: ":memory:", clock: clock)
        #expect(!store.isWAL)
        let writer = try TelemetryWriter(store: store, clock: clock)
        let windows = try TelemetryWindows(store: store, writer: writer)
        let now = clock.wallTime()
        for index in 0..<10 {
            writer.submit(
                RequestRecord(
                    time: now - 1, region: "r", model: "m", status: 200,
                    outcome: index < 7 ? .success : .upstream, latency: 0.5))
        }
        writer.flush()
        #expect(try store.scalar("SELECT count(*) FROM requests") == "10")
        #expect(try windows.stats(last: 10).requests == 10)
        #expect(try windows.consecutiveFailures() == 3)
        writer.close()
    }
}
