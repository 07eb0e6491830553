import BallastCore
import BallastTesting
import Telemetry
import Testing

@Suite("Telemetry windows")
struct TelemetryWindowsTests {
    static let filters: [TelemetryFilter] = [
        .all,
        TelemetryFilter(region: "primary"),
        TelemetryFilter(model: "claude-haiku-4-5"),
        TelemetryFilter(region: "secondary", model: "claude-sonnet-4-5"),
        TelemetryFilter(region: ""),
        TelemetryFilter(region: "nowhere"),
    ]
    static let lengths: [Double] = [1, 2, 5, 10, 59, 60, 61, 119.5, 299, 300, 301, 900, 1_799, 3_600, 7_200, 10_800]

    @Test("windows match counts computed from the raw rows, from memory, disk, or both")
    func matchRawRows() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock(wallTime: 1_700_000_000.6)
        let store = try TelemetryStore(path: directory.path("t.db"), clock: clock)
        let options = TelemetryWriterOptions(rawRetention: 3 * 3_600, memorySeconds: 300)
        let writer = try TelemetryWriter(store: store, options: options, clock: clock)
        var generator = RecordGenerator(seed: 42)
        // Two hours of traffic: the last 300 s are answered from memory, the rest from disk.
        for (record, attempts) in generator.records(count: 6_000, span: 7_200, end: clock.wallTime()) {
            writer.submit(record, attempts: attempts)
        }
        writer.flush()
        let rows = try RawRow.readAll(from: store)
        #expect(rows.count == 6_000)

        let live = try TelemetryWindows(store: store, writer: writer)
        let diskOnly = try TelemetryWindows(store: store, clock: clock, rawRetention: options.rawRetention)
        let last = Int(clock.wallTime().rounded(.down))
        var fromLive: [String: WindowStats] = [:]
        for filter in Self.filters {
            for length in Self.lengths {
                let label = "\(filter) last \(length)"
                let first = last - Int(length.rounded(.up)) + 1
                let expected = ExpectedWindow(rows: rows, filter: filter, seconds: first...last)
                let stats = try live.stats(last: length, filter: filter)
                #expect(stats.firstSecond == first && stats.lastSecond == last, "\(label)")
                expected.check(stats, "live \(label)")
                expected.check(try diskOnly.stats(last: length, filter: filter), "disk \(label)")
                fromLive[label] = stats
            }
        }
        // Completions reach back 7,200 s from a now 0.6 s into its second: 7,201 buckets.
        #expect(try live.stats(last: 7_201).requests == 6_000)

        // After a restart the ring is rebuilt from SQLite: the same answers.
        writer.close()
        let restarted = try TelemetryWriter(store: store, options: options, clock: clock)
        let afterRestart = try TelemetryWindows(store: store, writer: restarted)
        for filter in Self.filters {
            for length in Self.lengths {
                let label = "\(filter) last \(length)"
                expectSame(try afterRestart.stats(last: length, filter: filter), fromLive[label]!, "restart \(label)")
            }
        }
        restarted.close()
    }

    @Test("answers are the same before and after the writer commits, as the clock moves on")
    func memoryAndDiskAgreeOverTime() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock(wallTime: 1_700_000_000)
        let store = try TelemetryStore(path: directory.path("t.db"), clock: clock)
        // A 30 s ring and a writer that never writes on its own within the test: seconds
        // leave the ring while their records may still be queued.
        let options = TelemetryWriterOptions(flushInterval: 3_600, memorySeconds: 30)
        let writer = try TelemetryWriter(store: store, options: options, clock: clock)
        let live = try TelemetryWindows(store: store, writer: writer)
        let diskOnly = try TelemetryWindows(store: store, clock: clock)
        var generator = RecordGenerator(seed: 5)
        for step in 0..<120 {
            // Records complete in the last second; a few are late (completed a minute ago).
            for _ in 0..<20 {
                var (record, attempts) = generator.record(completingAt: clock.wallTime() - generator.random.unit())
                if generator.random.unit() < 0.05 { record.time -= 60 }
                writer.submit(record, attempts: attempts)
            }
            clock.advance(seconds: 0.5)
            if step % 10 == 9 {
                // Rules ask every few seconds; before the flush the newest data is in memory only.
                let beforeFlush = try live.stats(last: 10)
                writer.flush()
                let rows = try RawRow.readAll(from: store)
                for length in [1.0, 10, 30, 45, 90] {
                    let last = Int(clock.wallTime().rounded(.down))
                    let expected = ExpectedWindow(rows: rows, filter: .all, seconds: (last - Int(length) + 1)...last)
                    let stats = try live.stats(last: length)
                    expected.check(stats, "step \(step) last \(length)")
                    expectSame(stats, try diskOnly.stats(last: length), "step \(step) memory vs disk \(length)")
                }
                expectSame(beforeFlush, try live.stats(last: 10), "step \(step): flushing changes nothing")
            }
        }
        writer.close()
    }

    @Test("windows longer than the raw retention come from minute rollups")
    func longWindows() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock(wallTime: 1_700_000_000.3)
        let store = try TelemetryStore(path: directory.path("t.db"), clock: clock)
        let options = TelemetryWriterOptions(rawRetention: 3_600, rollupRetention: 7 * 86_400)
        let writer = try TelemetryWriter(store: store, options: options, clock: clock)
        var generator = RecordGenerator(seed: 9)
        let records = generator.records(count: 5_000, span: 4 * 3_600, end: clock.wallTime())
        for (record, attempts) in records { writer.submit(record, attempts: attempts) }
        writer.flush()
        // The expected rows are the submitted records: retention removes raw rows older than
        // an hour (the writer may already have started).
        let rows = records.enumerated().map { RawRow(id: Int64($0.offset + 1), record: $0.element.0, attempts: $0.element.1) }
        writer.runRetention()
        #expect(try store.scalar("SELECT count(*) FROM requests") != String(rows.count))

        let windows = try TelemetryWindows(store: store, writer: writer)
        let last = Int(clock.wallTime().rounded(.down))
        for filter in Self.filters {
            for length: Double in [600, 3_600, 3_601, 7_200, 14_400] {
                var first = last - Int(length) + 1
                if length > options.rawRetention { first -= ((first % 60) + 60) % 60 }
                let stats = try windows.stats(last: length, filter: filter)
                #expect(stats.firstSecond == first)
                ExpectedWindow(rows: rows, filter: filter, seconds: first...last).check(stats, "\(filter) \(length)")
            }
        }
        #expect(throws: TelemetryStoreError.self) { try windows.stats(last: 0.5) }
        #expect(throws: TelemetryStoreError.self) { try windows.stats(last: 8 * 86_400) }
        writer.close()
    }

    @Test("consecutive failures count the newest requests in a row, queued or written")
    func consecutiveFailures() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let store = try TelemetryStore(path: directory.path("t.db"), clock: clock)
        let writer = try TelemetryWriter(store: store, options: TelemetryWriterOptions(flushInterval: 3_600), clock: clock)
        let live = try TelemetryWindows(store: store, writer: writer)
        let diskOnly = try TelemetryWindows(store: store, clock: clock)
        var generator = RecordGenerator(seed: 77)
        let failingSets: [Set<OutcomeClass>] = [TelemetryWindows.upstreamFailures, [.upstream, .local, .ballast, .client]]
        let filters = Self.filters + [TelemetryFilter(region: "primary", model: "claude-haiku-4-5")]

        // Mostly failures, so streaks run across the queued / written boundary.
        var submitted: [RawRow] = []
        func submit(_ count: Int) {
            for _ in 0..<count {
                var (record, attempts) = generator.record(completingAt: clock.wallTime())
                if generator.random.unit() < 0.85 { record.outcome = generator.pick([.upstream, .local]) }
                if writer.submit(record, attempts: attempts) {
                    submitted.append(RawRow(id: Int64(submitted.count + 1), record: record, attempts: attempts))
                }
            }
        }
        for round in 0..<6 {
            submit(40)
            if round % 2 == 1 { writer.flush() }
            for filter in filters {
                for failing in failingSets {
                    let expected = expectedStreak(submitted, filter: filter, failing: failing)
                    #expect(
                        try live.consecutiveFailures(filter: filter, failing: failing) == expected,
                        "round \(round) \(filter) \(failing)")
                }
            }
        }
        writer.flush()
        let rows = try RawRow.readAll(from: store)
        for filter in filters {
            let expected = expectedStreak(rows, filter: filter, failing: TelemetryWindows.upstreamFailures)
            #expect(try diskOnly.consecutiveFailures(filter: filter) == expected)
            #expect(try live.consecutiveFailures(filter: filter, limit: 2) == min(expected, 2))
        }
        writer.close()
    }
}
