import BallastCore
import BallastTesting
import Synchronization
import Telemetry
import Testing
@testable import SQLite

/// What the writer does when SQLite refuses a batch: request records are lost and counted by
/// reason, audit events wait for the next batch, the store reports itself degraded, and the
/// log hears of it at a bounded rate.
@Suite("Store failures")
struct StoreFailureAccountingTests {
    private static func record(_ clock: ManualClock) -> RequestRecord {
        RequestRecord(time: clock.wallTime(), region: "primary", model: "m", status: 200, outcome: .success, latency: 0.1)
    }

    @Test("a lock held past the busy timeout loses the batch's records as busy, keeps its audit events")
    func busyBatch() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock(wallTime: 1_700_000_000)
        let store = try TelemetryStore(path: directory.path("t.db"), clock: clock, busyTimeout: 50)
        let lines = Mutex<[DropLogThrottle.Line]>([])
        let writer = try TelemetryWriter(store: store, clock: clock) { line, _ in lines.withLock { $0.append(line) } }
        defer { writer.close() }

        let holder = try SQLiteDatabase(path: directory.path("t.db"))
        try holder.execute("BEGIN EXCLUSIVE")
        for _ in 0..<7 { #expect(writer.submit(Self.record(clock))) }
        #expect(
            writer.submit(
                AuditEvent(
                    time: clock.wallTime(), kind: .circuitChanged, target: "region=primary",
                    action: "open", reason: "r", actor: "rule:x")))
        writer.flush()
        #expect(writer.stats.droppedByReason[.busy] == 7)
        #expect(store.health.report.healthy == false && store.health.report.reason == .busy)
        #expect(lines.withLock { $0 }.contains { $0.key.reason == .busy }, "the loss must be logged by the time flush returns")

        try holder.execute("ROLLBACK")
        writer.flush()
        #expect(store.health.report.healthy)
        #expect(try store.scalar("SELECT count(*) FROM audit") == "1", "the audit event of the failed batch must be written later")
        #expect(try store.scalar("SELECT count(*) FROM requests") == "0")
        #expect(writer.stats.droppedByReason.values.reduce(0, +) == 7)
        writer.close()
        let logged = lines.withLock { $0 }.filter { $0.key.reason == .busy }.map(\.count).reduce(0, +)
        #expect(logged == 7, "every lost record is in a log line by the time the writer closes")
    }

    @Test("a store that cannot grow loses records as disk_full; an operator commit is all or nothing")
    func fullStore() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock(wallTime: 1_700_000_000)
        let store = try TelemetryStore(path: directory.path("t.db"), clock: clock)
        let writer = try TelemetryWriter(store: store, clock: clock)
        defer { writer.close() }
        store.limitPages(to: 1)
        var submitted = 0
        while writer.stats.droppedByReason[.diskFull, default: 0] == 0, submitted < 50_000 {
            for _ in 0..<500 { #expect(writer.submit(Self.record(clock))) }
            submitted += 500
            writer.flush()
        }
        let stats = writer.stats
        #expect(stats.droppedByReason[.diskFull, default: 0] > 0)
        #expect(stats.written + stats.droppedByReason.values.reduce(0, +) == submitted)
        #expect(store.health.report.reason == .diskFull)

        // A state document too big for the room left: neither it nor its audit entry is kept.
        let big = "\"" + String(repeating: "x", count: 64 * 1024) + "\""
        let event = AuditEvent(time: clock.wallTime(), kind: .operatorOverride, target: "t", action: "a", reason: "r", actor: "operator:o")
        #expect(throws: SQLiteError.self) { try store.commitState(big, forKey: "k", audit: event) }
        #expect(try store.state(forKey: "k") == nil)
        #expect(try store.scalar("SELECT count(*) FROM audit") == "0")

        store.limitPages(to: nil)
        try store.commitState(big, forKey: "k", audit: event)
        #expect(try store.state(forKey: "k") == big)
        #expect(try store.scalar("SELECT count(*) FROM audit") == "1")
        #expect(store.health.report.healthy)
    }

    @Test("losses are logged at once, then at most one line per reason every 10 s with the count since")
    func throttle() {
        var throttle = DropLogThrottle()
        let busy = DropLogThrottle.Key(what: "request records", reason: .busy)
        let full = DropLogThrottle.Key(what: "request records", reason: .queueFull)
        #expect(throttle.due(totals: [busy: 0, full: 0], now: .init(seconds: 0)).isEmpty)
        #expect(throttle.due(totals: [busy: 3, full: 0], now: .init(seconds: 1)).map(\.count) == [3])
        #expect(throttle.due(totals: [busy: 50, full: 0], now: .init(seconds: 5)).isEmpty, "within 10 s of the last line")
        #expect(throttle.due(totals: [busy: 90, full: 2], now: .init(seconds: 6)).map(\.key) == [full], "another reason has its own clock")
        let later = throttle.due(totals: [busy: 200, full: 2], now: .init(seconds: 11))
        #expect(later.map(\.count) == [197] && later.map(\.total) == [200])
        #expect(throttle.due(totals: [busy: 201, full: 2], now: .init(seconds: 12), force: true).map(\.count) == [1])
    }

    @Test("degraded while the last write failed, healthy at the next success, and the failure lapses without writes")
    func health() {
        var state = StoreHealthState(window: .seconds(30))
        #expect(state.report(at: .init(seconds: 0)).healthy)
        state.failed(.diskFull, message: "full", at: .init(seconds: 10), wall: 1_000)
        state.failed(.diskFull, message: "full", at: .init(seconds: 12), wall: 1_002)
        let degraded = state.report(at: .init(seconds: 13))
        #expect(!degraded.healthy && degraded.reason == .diskFull && degraded.failingSince == 1_000)
        state.succeeded(at: .init(seconds: 14))
        #expect(state.report(at: .init(seconds: 14)).healthy && state.report(at: .init(seconds: 14)).lastFailureAt == 1_002)
        state.failed(.busy, message: "locked", at: .init(seconds: 20), wall: 1_010)
        #expect(!state.report(at: .init(seconds: 50)).healthy)
        #expect(state.report(at: .init(seconds: 50.5)).healthy, "no write for 30 s: nothing says the store is still broken")
    }
}
