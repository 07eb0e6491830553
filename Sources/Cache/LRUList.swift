/// Keys in order of last use, with O(1) touch, remove and least-recent look-up: a doubly
/// linked list threaded through arrays (no per-node allocation), slots reused via a free list.
///
/// The cache keeps its bounds with it: evicting the least recently used entry must not scan
/// every entry on every store.
struct LRUList<Key: Hashable & Sendable>: Sendable {
    private var slots: [Key: Int] = [:]
    private var keys: [Key?] = []
    /// Towards the more recent end.
    private var newer: [Int] = []
    /// Towards the less recent end.
    private var older: [Int] = []
    private var freeSlots: [Int] = []
    private var newest = -1
    private var oldest = -1

    var count: Int { slots.count }

    func contains(_ key: Key) -> Bool { slots[key] != nil }

    /// Makes `key` the most recently used, adding it when absent.
    mutating func touch(_ key: Key) {
        if let slot = slots[key] {
            guard slot != newest else { return }
            unlink(slot)
            linkNewest(slot)
            return
        }
        let slot: Int
        if let free = freeSlots.popLast() {
            slot = free
            keys[slot] = key
        } else {
            slot = keys.count
            keys.append(key)
            newer.append(-1)
            older.append(-1)
        }
        slots[key] = slot
        linkNewest(slot)
    }

    mutating func remove(_ key: Key) {
        guard let slot = slots.removeValue(forKey: key) else { return }
        unlink(slot)
        keys[slot] = nil
        freeSlots.append(slot)
    }

    mutating func removeAll() {
        self = LRUList()
    }

    /// The least recently used key.
    var leastRecent: Key? { oldest >= 0 ? keys[oldest] : nil }

    /// The least recently used key other than `excluded`.
    func leastRecent(excluding excluded: Key?) -> Key? {
        var slot = oldest
        while slot >= 0 {
            if let key = keys[slot], key != excluded { return key }
            slot = newer[slot]
        }
        return nil
    }

    /// Keys from least to most recently used (for tests and debugging).
    var leastRecentFirst: [Key] {
        var result: [Key] = []
        var slot = oldest
        while slot >= 0 {
            if let key = keys[slot] { result.append(key) }
            slot = newer[slot]
        }
        return result
    }

    private mutating func unlink(_ slot: Int) {
        let towardsNew = newer[slot]
        let towardsOld = older[slot]
        if towardsNew >= 0 { older[towardsNew] = towardsOld } else { newest = towardsOld }
        if towardsOld >= 0 { newer[towardsOld] = towardsNew } else { oldest = towardsNew }
        newer[slot] = -1
        older[slot] = -1
    }

    private mutating func linkNewest(_ slot: Int) {
        older[slot] = newest
        newer[slot] = -1
        if newest >= 0 { newer[newest] = slot } else { oldest = slot }
        newest = slot
    }
}
