import BallastCore
import BallastTesting
import Telemetry
import Testing

@Suite("Retention")
struct RetentionTests {
    @Test("old rows go in small batches, newer rows and longer-lived rollups stay")
    func deletesOldInBatches() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock(wallTime: 1_700_000_000)
        let store = try TelemetryStore(path: directory.path("t.db"), clock: clock)
        let options = TelemetryWriterOptions(
            rawRetention: 3_600, rollupRetention: 86_400, auditRetention: 86_400,
            retentionBatchSize: 100, retentionCheckInterval: 60)
        let writer = try TelemetryWriter(store: store, options: options, clock: clock)
        defer { writer.close() }
        let start = clock.wallTime()
        // 1,000 requests spread over the first 20 minutes, then 300 in the last 10 minutes of
        // a two-hour span; audit events at both ends.
        for index in 0..<1_000 {
            let record = RequestRecord(
                time: start + Double(index) * 1.2, region: "r", model: "m", status: 200,
                outcome: .success, attempts: 1, latency: 0.5)
            let attempt = AttemptRecord(
                time: record.time, region: "r", model: "m", index: 1, status: 200,
                outcome: .success, latency: 0.5)
            writer.submit(record, attempts: [attempt])
        }
        for index in 0..<300 {
            writer.submit(
                RequestRecord(
                    time: start + 6_600 + Double(index), region: "r", model: "m", status: 200,
                    outcome: .success, latency: 0.5))
        }
        writer.submit(AuditEvent(time: start, kind: .ruleFired, target: "t", action: "a", reason: "r", actor: "rule:x"))
        writer.flush()
        #expect(try store.scalar("SELECT count(*) FROM requests") == "1300")
        let secondsBefore = Int(try store.scalar("SELECT count(*) FROM rollup_second") ?? "") ?? 0

        // Two hours later: the first 1,000 are past the one-hour raw retention.
        clock.advance(seconds: 7_200)
        writer.submit(
            AuditEvent(
                time: clock.wallTime(), kind: .ruleResolved, target: "t", action: "a", reason: "r",
                actor: "rule:x"))
        writer.runRetention()
        let stats = writer.stats
        #expect(try store.scalar("SELECT count(*) FROM requests") == "300")
        #expect(try store.scalar("SELECT min(time) >= \(clock.wallTime() - 3_600) FROM requests") == "1")
        #expect(try store.scalar("SELECT count(*) FROM attempts") == "0")
        #expect(try store.scalar("SELECT count(*) FROM rollup_second") == "300")
        #expect(try store.scalar("SELECT sum(requests) FROM rollup_minute") == "1300", "minute rollups live 24 h")
        // requests 10 batches, attempts 10, second rollups ≥ 10.
        #expect(stats.retentionBatches >= 30)
        #expect(stats.retentionDeleted == 1_000 + 1_000 + (secondsBefore - 300))
        #expect(try store.scalar("SELECT count(*) FROM audit") == "2")

        // A day later the minute rollups and the first audit event go too.
        clock.advance(seconds: 86_400 - 3_600)
        writer.runRetention()
        #expect(try store.scalar("SELECT count(*) FROM requests") == "0")
        let lastMinutes = Set(
            (0..<300).map { index -> Int in
                let second = Int(start) + 6_600 + index
                return second - second % 60
            })
        #expect(try store.scalar("SELECT count(*) FROM rollup_minute") == String(lastMinutes.count))
        #expect(try store.scalar("SELECT count(*) FROM audit") == "1")
        #expect(try store.integrityCheck() == "ok")
    }

    @Test("after a large delete the file gives free pages back")
    func incrementalVacuum() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock(wallTime: 1_700_000_000)
        let store = try TelemetryStore(path: directory.path("t.db"), clock: clock)
        let options = TelemetryWriterOptions(
            rawRetention: 3_600, retentionBatchSize: 2_000, retentionCheckInterval: 60,
            vacuumMinFreePages: 50, vacuumPagesPerStep: 100)
        let writer = try TelemetryWriter(store: store, options: options, clock: clock)
        defer { writer.close() }
        var generator = RecordGenerator(seed: 1)
        for (record, attempts) in generator.records(count: 20_000, span: 1_000, end: clock.wallTime()) {
            writer.submit(record, attempts: attempts)
        }
        writer.flush()
        let pagesBefore = Int(try store.scalar("PRAGMA page_count") ?? "") ?? 0
        clock.advance(seconds: 7_200)
        writer.runRetention()
        // Vacuum steps continue after retention is done; give them a few rounds.
        for _ in 0..<50 {
            let free = Int(try store.scalar("PRAGMA freelist_count") ?? "") ?? 0
            if writer.stats.vacuumedPages > 0, free <= 100 { break }
            writer.flush()
        }
        let pagesAfter = Int(try store.scalar("PRAGMA page_count") ?? "") ?? 0
        #expect(writer.stats.vacuumedPages > 0)
        #expect(pagesAfter < pagesBefore / 2, "\(pagesBefore) pages before, \(pagesAfter) after")
        #expect(try store.integrityCheck() == "ok")
    }
}
