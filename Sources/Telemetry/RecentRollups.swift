import BallastCore

/// The last `capacity` seconds of per-second rollups, kept in memory at hand-off so window
/// queries for rules (every second) never wait for the writer or touch SQLite.
///
/// The ring is authoritative for every second from `low` on: each record accepted for such a
/// second is added here (records are added as they are accepted; the ring was loaded from the
/// second rollups when the writer started). Seconds before `low` are answered from SQLite;
/// they left the ring `capacity` seconds after they were current, long after the writer wrote
/// them. A record whose second is already before `low` (a late one) is written to SQLite only.
struct RecentRollups {
    struct Slot {
        var second: Int
        var cells: [RollupKey: TelemetryCounts]
    }

    let capacity: Int
    private var slots: [Slot]
    /// The newest second the ring has moved to.
    private(set) var newest: Int
    /// The first second the ring answers for.
    private(set) var low: Int

    /// An empty ring that answers for `[now - capacity + 1, now]`.
    init(capacity: Int, now: Int) {
        self.capacity = max(capacity, 1)
        slots = Array(repeating: Slot(second: Int.min, cells: [:]), count: self.capacity)
        newest = now
        low = now - self.capacity + 1
        for second in low...now { slots[slot(second)].second = second }
    }

    private func slot(_ second: Int) -> Int {
        let remainder = second % capacity
        return remainder < 0 ? remainder + capacity : remainder
    }

    /// Moves the newest second forward to `second`, clearing the slots it passes.
    private mutating func advance(to second: Int) {
        guard second > newest else { return }
        let from = max(newest + 1, second - capacity + 1)
        for current in from...second {
            let index = slot(current)
            slots[index].second = current
            slots[index].cells.removeAll(keepingCapacity: true)
        }
        newest = second
        low = max(low, second - capacity + 1)
    }

    /// Adds a request. The clock is read only when the record is newer than the ring, to
    /// refuse records from the future (a clock bug) that would otherwise clear the ring.
    mutating func add(_ record: RequestRecord, attempts: [AttemptRecord], clock: any TimeSource) {
        let second = record.completionSecond
        if second > newest {
            guard Double(second) <= clock.wallTime().rounded(.down) + 1 else { return }
            advance(to: second)
        }
        guard second >= low else { return }
        let key = RollupKey(bucket: second, region: record.region ?? "", model: record.model ?? "")
        slots[slot(second)].cells[key, default: TelemetryCounts()].add(record, attempts: attempts)
    }

    /// Loads one rollup row read back from SQLite (rebuilding after a restart).
    mutating func load(_ key: RollupKey, counts: TelemetryCounts) {
        guard key.bucket >= low, key.bucket <= newest else { return }
        slots[slot(key.bucket)].cells[key, default: TelemetryCounts()].merge(counts)
    }

    /// The sum over seconds `[from, to]` ∩ `[low, newest]` of the cells `filter` selects.
    func sum(from: Int, to: Int, filter: TelemetryFilter) -> TelemetryCounts {
        var total = TelemetryCounts()
        let first = max(from, low)
        let last = min(to, newest)
        guard first <= last else { return total }
        for second in first...last {
            let entry = slots[slot(second)]
            guard entry.second == second else { continue }
            for (key, counts) in entry.cells where filter.matches(region: key.region, model: key.model) {
                total.merge(counts)
            }
        }
        return total
    }
}
