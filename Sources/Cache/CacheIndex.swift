/// What is known about every kept answer except its body: enough to enforce the bounds,
/// check fingerprints and expiry, and pick victims, all without touching SQLite.
///
/// Victims are chosen expired-first (soonest expiry first), then least recently used; both
/// in O(log n) amortised through `ExpiryHeap` and `LRUList`.
struct CacheIndex: Sendable {
    struct Entry: Sendable, Equatable {
        var fingerprint: String
        var bytes: Int
        var storedAt: Double
        var expiresAt: Double
    }

    private(set) var entries: [String: Entry] = [:]
    private var order = LRUList<String>()
    private var expiry = ExpiryHeap()
    private(set) var totalBytes = 0

    var count: Int { entries.count }

    subscript(key: String) -> Entry? { entries[key] }

    /// Adds or replaces an entry, as the most recently used.
    mutating func insert(_ key: String, _ entry: Entry) {
        if let old = entries[key] { totalBytes -= old.bytes }
        entries[key] = entry
        totalBytes += entry.bytes
        order.touch(key)
        expiry.push(ExpiryHeap.Item(expiresAt: entry.expiresAt, key: key))
        if expiry.count > 2 * entries.count + 64 {
            expiry.rebuild(entries.map { ExpiryHeap.Item(expiresAt: $0.value.expiresAt, key: $0.key) })
        }
    }

    /// Marks an entry as just used.
    mutating func touch(_ key: String) {
        if entries[key] != nil { order.touch(key) }
    }

    @discardableResult
    mutating func remove(_ key: String) -> Entry? {
        guard let entry = entries.removeValue(forKey: key) else { return nil }
        totalBytes -= entry.bytes
        order.remove(key)
        return entry
    }

    mutating func removeAll() {
        self = CacheIndex()
    }

    /// The entry that expired first, if it expired at or before `time`.
    mutating func expired(atOrBefore time: Double) -> String? {
        while let top = expiry.top {
            guard let entry = entries[top.key], entry.expiresAt == top.expiresAt else {
                expiry.pop()  // removed or stored again since: out of date
                continue
            }
            return top.expiresAt <= time ? top.key : nil
        }
        return nil
    }

    /// The next entry to evict: an expired one (at `wall`) if any, else the least recently
    /// used other than `protected` (the answer being stored).
    mutating func victim(wall: Double, protecting protected: String?) -> String? {
        if let key = expired(atOrBefore: wall), key != protected { return key }
        return order.leastRecent(excluding: protected)
    }

    /// Keys from least to most recently used.
    var leastRecentFirst: [String] { order.leastRecentFirst }
}
