public import BallastCore
import Synchronization

/// Window queries for rules and the control API: "what happened in the last N seconds, for
/// this region and/or model".
///
/// Answers come from the rollups, never from raw rows: the seconds still in the writer's
/// in-memory ring from memory (no SQLite, no waiting for the writer), older seconds from
/// `rollup_second`, and whole minutes inside the window from `rollup_minute` (a minute row is
/// the exact sum of its second rows: both are written from the same records in the same
/// transaction), so an hour costs about 60 rows per region and model instead of 3,600.
/// Windows longer than the raw retention, where second rows no longer exist, start on a
/// minute boundary. The one raw-row query is `consecutiveFailures`.
///
/// Thread-safe: the connection is used under a lock, one query at a time.
public final class TelemetryWindows: Sendable {
    /// The default for `consecutiveFailures`: failures the upstream is responsible for.
    /// A client error or a request Ballast shed ends a streak: the region did answer.
    public static let upstreamFailures: Set<OutcomeClass> = [.upstream, .local]

    public let store: TelemetryStore
    private let live: WriterShared?
    private let clock: any TimeSource
    private let rawRetention: Double
    private let longestWindow: Double
    private let connection: Mutex<WindowQueryConnection>

    /// - Parameters:
    ///   - writer: the live writer, whose ring and unwritten records make answers current;
    ///     nil to read only what is on disk (e.g. a CLI inspecting a file). Its clock and
    ///     retention are then used.
    ///   - clock: for a store without a writer: what "now" is.
    public init(
        store: TelemetryStore, writer: TelemetryWriter? = nil, clock: any TimeSource = SystemClock(),
        rawRetention: Double = TelemetryWriterOptions().rawRetention,
        rollupRetention: Double = TelemetryWriterOptions().rollupRetention
    ) throws {
        self.store = store
        live = writer?.shared
        self.clock = writer?.shared.clock ?? clock
        self.rawRetention = writer?.options.rawRetention ?? rawRetention
        longestWindow = max(self.rawRetention, writer?.options.rollupRetention ?? rollupRetention)
        connection = Mutex(WindowQueryConnection(database: try store.openConnection()))
    }

    /// The window `[now - length, now]` for `filter`, now being the clock's wall time.
    public func stats(last length: Double, filter: TelemetryFilter = .all) throws -> WindowStats {
        try stats(last: length, filter: filter, wallTime: clock.wallTime())
    }

    /// The window of `length` seconds ending at `wallTime` (seconds since the Unix epoch, as
    /// the records and rollups are stamped): the `ceil(length)` one-second buckets up to and
    /// including the one holding `wallTime`.
    public func stats(last length: Double, filter: TelemetryFilter = .all, wallTime: Double) throws -> WindowStats {
        guard length >= 1, length <= longestWindow, wallTime.isFinite else {
            throw TelemetryStoreError.invalidWindow(length)
        }
        let last = Int(wallTime.rounded(.down))
        var first = last - Int(length.rounded(.up)) + 1
        if length > rawRetention { first = Self.minuteStart(first) }

        var total = TelemetryCounts()
        var diskLast = last
        if let recent = live?.recent(from: first, to: last, filter: filter) {
            total.merge(recent.counts)
            diskLast = min(last, recent.low - 1)
        }
        let disk = try connection.withLock { connection in
            try Self.sumDisk(connection, from: first, to: diskLast, filter: filter)
        }
        total.merge(disk)
        return WindowStats(filter: filter, length: length, firstSecond: first, lastSecond: last, counts: total)
    }

    /// Seconds `[from, to]` from disk: whole minutes from `rollup_minute`, the edges from
    /// `rollup_second`.
    private static func sumDisk(
        _ connection: WindowQueryConnection, from: Int, to: Int,
        filter: TelemetryFilter
    ) throws -> TelemetryCounts {
        var total = TelemetryCounts()
        guard from <= to else { return total }
        let firstMinute = minuteStart(from + 59)  // first minute starting at or after `from`
        let endMinute = minuteStart(to + 1)  // minutes before this end by `to`
        if endMinute - firstMinute >= 60 {
            try connection.sum(table: "rollup_minute", from: firstMinute, to: endMinute - 60, filter: filter, into: &total)
            try connection.sum(table: "rollup_second", from: from, to: firstMinute - 1, filter: filter, into: &total)
            try connection.sum(table: "rollup_second", from: endMinute, to: to, filter: filter, into: &total)
        } else {
            try connection.sum(table: "rollup_second", from: from, to: to, filter: filter, into: &total)
        }
        return total
    }

    static func minuteStart(_ second: Int) -> Int {
        second - ((second % 60) + 60) % 60
    }

    /// How many of the most recent requests selected by `filter` ended in one of `failing`,
    /// in a row (stopping at the first that did not, or at `limit`). Reads the records not yet
    /// written first, then the `requests` table, so the answer is current to the last
    /// hand-off.
    public func consecutiveFailures(
        filter: TelemetryFilter = .all, failing: Set<OutcomeClass> = upstreamFailures,
        limit: Int = 10_000
    ) throws -> Int {
        var count = 0
        var through = Int64.max
        if let live {
            let pending = live.pendingStreak(filter: filter, failing: failing, limit: limit)
            if pending.ended { return pending.count }
            count = pending.count
            through = pending.writtenThrough
        }
        let remaining = limit - count
        let onDisk = try connection.withLock { connection in
            try connection.streak(through: through, filter: filter, failing: failing, limit: remaining)
        }
        return count + onDisk
    }
}
