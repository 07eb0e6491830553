import BallastCore
import BallastTesting
import Foundation
import Synchronization
import Telemetry
import Testing
import SQLite

@Suite("Telemetry writer")
struct TelemetryWriterTests {
    @Test("N records become N rows, with their attempts, audit events and rollups")
    func batches() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock(wallTime: 1_700_000_000.25)
        let store = try TelemetryStore(path: directory.path("t.db"), clock: clock)
        let writer = try TelemetryWriter(store: store, clock: clock)
        var generator = RecordGenerator(seed: 7)
        let records = generator.records(count: 3_000, span: 600, end: clock.wallTime())
        for (record, attempts) in records { #expect(writer.submit(record, attempts: attempts)) }
        let event = AuditEvent(
            time: clock.wallTime(), kind: .circuitChanged, target: "region=primary", action: "open",
            reason: "consecutive_failures 5 >= 5", actor: "rule:primary-breaker")
        #expect(writer.submit(event))
        writer.flush()

        let stats = writer.stats
        #expect(stats.written == 3_000)
        #expect(stats.attemptsWritten == records.reduce(0) { $0 + $1.1.count })
        #expect(stats.auditWritten == 1)
        #expect(stats.batches >= 1)
        #expect(stats.queueDepth == 0)
        #expect(stats.lag == 0)
        #expect(stats.dropped == 0)
        #expect(stats.lastError == nil)

        // Every row as submitted, ids in hand-off order.
        let rows = try RawRow.readAll(from: store)
        #expect(rows.count == records.count)
        for (index, (record, attempts)) in records.enumerated() {
            let expected = RawRow(id: Int64(index + 1), record: record, attempts: attempts)
            let row = rows[index]
            #expect(
                row.id == expected.id && row.time == expected.time && row.region == expected.region
                    && row.model == expected.model && row.status == expected.status && row.outcome == expected.outcome
                    && row.attempts == expected.attempts && row.latency == expected.latency && row.ttfb == expected.ttfb
                    && row.inputTokens == expected.inputTokens && row.attempts429 == expected.attempts429)
        }
        #expect(try store.scalar("SELECT count(*) FROM attempts") == String(stats.attemptsWritten))
        #expect(try store.scalar("SELECT count(*) FROM attempts WHERE request_id NOT IN (SELECT id FROM requests)") == "0")
        #expect(
            try store.scalar("SELECT actor || ' ' || kind || ' ' || action FROM audit")
                == "rule:primary-breaker circuit_changed open")

        // Rollups: per second and per minute, each equal to a plain count over the rows.
        try checkRollups(store: store, rows: rows)
        writer.close()
        #expect(try store.integrityCheck() == "ok")
    }

    /// Every rollup row equals the plain count of raw rows in its bucket, and no row is missing.
    func checkRollups(store: TelemetryStore, rows: [RawRow]) throws {
        for (table, width) in [("rollup_second", 1), ("rollup_minute", 60)] {
            let database = try store.openConnection()
            struct Key: Hashable {
                var bucket: Int
                var region: String
                var model: String
            }
            let grouped = Dictionary(grouping: rows) { row in
                Key(
                    bucket: row.second - ((row.second % width) + width) % width, region: row.region ?? "",
                    model: row.model ?? "")
            }
            var seen = 0
            try database.prepare(
                """
                SELECT bucket, region, model, requests, outcome_success, outcome_upstream, status_429, attempts_429,
                       retries, input_tokens, latency_hist, ttfb_hist
                FROM \(table)
                """
            ).query { row in
                let bucket = row.int(at: 0)
                let filter = TelemetryFilter(region: row.string(at: 1), model: row.string(at: 2))
                let selected = grouped[Key(bucket: bucket, region: filter.region ?? "", model: filter.model ?? "")] ?? []
                let expected = ExpectedWindow(rows: selected, filter: filter, seconds: Int.min...Int.max)
                seen += selected.count
                #expect(row.int(at: 3) == expected.requests, "\(table) \(bucket)")
                #expect(row.int(at: 4) == expected.perClass[.success, default: 0])
                #expect(row.int(at: 5) == expected.perClass[.upstream, default: 0])
                #expect(row.int(at: 6) == expected.status429)
                #expect(row.int(at: 7) == expected.attempts429)
                #expect(row.int(at: 8) == expected.retries)
                #expect(row.int(at: 9) == expected.inputTokens)
                #expect(LatencyHistogram(encoded: row.string(at: 10) ?? "x")?.counts == expected.latency)
                #expect(LatencyHistogram(encoded: row.string(at: 11) ?? "x")?.counts == expected.ttfb)
            }
            #expect(seen == rows.count, "\(table) covers every row once")
            #expect(grouped.count == Int(try store.scalar("SELECT count(*) FROM \(table)") ?? ""), "\(table) row count")
        }
    }

    @Test("a full buffer drops and counts, and never blocks the caller, even with SQLite locked")
    func dropsWhenFull() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let store = try TelemetryStore(path: directory.path("t.db"), clock: clock, busyTimeout: 20_000)
        let options = TelemetryWriterOptions(capacity: 1_000, auditCapacity: 10, flushInterval: 0.01)
        let writer = try TelemetryWriter(store: store, options: options, clock: clock)
        let record = RequestRecord(
            time: clock.wallTime() - 1, region: "r", model: "m", status: 200, outcome: .success,
            latency: 0.1)

        // Another connection holds the write lock: the writer thread will wait in SQLite.
        let blocker = try store.openConnection()
        try blocker.execute("BEGIN IMMEDIATE")
        for _ in 0..<10 { writer.submit(record) }
        let deadline = Date().addingTimeInterval(5)
        while writer.queueDepth > 0, Date() < deadline { usleep(1_000) }
        #expect(writer.queueDepth == 0, "the writer took the first records and is stuck committing them")

        clock.advance(seconds: 5)
        #expect(writer.stats.lag >= 5, "lag counts the records stuck in flight")

        let started = Date()
        var accepted = 0
        for _ in 0..<1_500 where writer.submit(record) { accepted += 1 }
        var auditAccepted = 0
        for _ in 0..<15 {
            if writer.submit(AuditEvent(time: 0, kind: .rulesReloaded, target: "-", action: "-", reason: "-", actor: "t")) {
                auditAccepted += 1
            }
        }
        let elapsed = Date().timeIntervalSince(started)
        #expect(accepted == 1_000)
        #expect(auditAccepted == 10, "audit events have their own buffer")
        #expect(writer.droppedRecords == 500)
        #expect(writer.stats.droppedAudit == 5)
        #expect(writer.queueDepth == 1_010)
        #expect(elapsed < 0.5, "1,515 hand-offs took \(elapsed) s while SQLite was locked")

        try blocker.execute("COMMIT")
        writer.flush()
        let stats = writer.stats
        #expect(stats.written == 1_010)
        #expect(stats.auditWritten == 10)
        #expect(stats.dropped == 500)
        #expect(stats.queueDepth == 0)
        writer.close()
        #expect(!writer.submit(record), "closed writers accept nothing")
        #expect(try store.scalar("SELECT count(*) FROM requests") == "1010")
    }

    @Test("closing mid-stream writes everything accepted and leaves the file intact")
    func closeMidStream() throws {
        let directory = try TemporaryDirectory()
        let store = try TelemetryStore(path: directory.path("t.db"))
        let writer = try TelemetryWriter(store: store, options: TelemetryWriterOptions(capacity: 4_096, flushInterval: 0.005))
        let accepted = Atomic<Int>(0)
        let submitted = Atomic<Int>(0)
        let stop = Atomic<Bool>(false)
        let finished = DispatchSemaphore(value: 0)
        let now = Date().timeIntervalSince1970
        let producer = Thread {
            var generator = RecordGenerator(seed: 11)
            while !stop.load(ordering: .relaxed) {
                let (record, attempts) = generator.record(completingAt: now)
                submitted.add(1, ordering: .relaxed)
                if writer.submit(record, attempts: attempts) { accepted.add(1, ordering: .relaxed) }
            }
            finished.signal()
        }
        producer.start()
        // Let a few batches go by, then close while the producer is still submitting.
        let deadline = Date().addingTimeInterval(10)
        while writer.stats.batches < 5, Date() < deadline { usleep(2_000) }
        writer.close()
        let writtenAtClose = writer.stats.written
        usleep(20_000)
        stop.store(true, ordering: .relaxed)
        finished.wait()

        let stats = writer.stats
        #expect(stats.batches >= 5)
        // A submit that returned true was accepted before close, so close wrote it.
        #expect(stats.written == writtenAtClose, "nothing is written after close returns")
        #expect(stats.written == accepted.load(ordering: .relaxed), "every accepted record was written by close")
        #expect(stats.dropped > 0, "submissions after close are refused")
        #expect(stats.written + stats.dropped == submitted.load(ordering: .relaxed))
        #expect(try store.integrityCheck() == "ok")
        #expect(try store.scalar("SELECT count(*) FROM requests") == String(stats.written))
        #expect(try store.scalar("SELECT sum(requests) FROM rollup_second") == String(stats.written))
    }

    @Test("a crash mid-write (files copied while the writer runs) recovers to whole batches")
    func crashImage() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("t.db")
        let store = try TelemetryStore(path: path)
        // No automatic checkpoints: the main file stays as it is and all new pages go to the
        // WAL, so copying the main file and then the WAL while commits happen is exactly what
        // a kill -9 (or power loss after the last fsync) would leave.
        let options = TelemetryWriterOptions(flushInterval: 0.002, walAutoCheckpoint: 0)
        let writer = try TelemetryWriter(store: store, options: options)
        let stop = Atomic<Bool>(false)
        let finished = DispatchSemaphore(value: 0)
        let now = Date().timeIntervalSince1970
        let producer = Thread {
            var generator = RecordGenerator(seed: 3)
            // About 20k records/s at most: without checkpoints the WAL only grows, and a debug
            // build writes slower as it does.
            while !stop.load(ordering: .relaxed) {
                for _ in 0..<20 {
                    let (record, attempts) = generator.record(completingAt: now)
                    writer.submit(record, attempts: attempts)
                }
                usleep(1_000)
            }
            finished.signal()
        }
        producer.start()
        defer {
            stop.store(true, ordering: .relaxed)
            finished.wait()
            writer.close()
        }

        var previous = -1
        for copy in 0..<4 {
            let deadline = Date().addingTimeInterval(5)
            while writer.stats.batches < (copy + 1) * 4, Date() < deadline { usleep(1_000) }
            let crashed = directory.path("crash\(copy).db")
            try FileManager.default.copyItem(atPath: path, toPath: crashed)
            try FileManager.default.copyItem(atPath: path + "-wal", toPath: crashed + "-wal")

            let recovered = try TelemetryStore(path: crashed)
            #expect(try recovered.integrityCheck() == "ok")
            let rows = Int(try recovered.scalar("SELECT count(*) FROM requests") ?? "") ?? -1
            // Rows and rollups are committed together: a recovered file never has one
            // without the other.
            #expect(try recovered.scalar("SELECT coalesce(sum(requests), 0) FROM rollup_second") == String(rows))
            #expect(try recovered.scalar("SELECT coalesce(sum(requests), 0) FROM rollup_minute") == String(rows))
            #expect(try recovered.scalar("SELECT count(*) FROM attempts WHERE request_id NOT IN (SELECT id FROM requests)") == "0")
            #expect(rows > previous, "later copies hold more")
            previous = rows
        }
    }
}
