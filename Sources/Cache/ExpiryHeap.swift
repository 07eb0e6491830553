/// A min-heap of (expiry, key), so the cache finds its soonest-expiring entry without a scan.
///
/// Entries are not removed when a key is removed or stored again; the owner checks the top
/// against its index and pops what is out of date (lazy deletion), and rebuilds the heap
/// when garbage dominates.
struct ExpiryHeap: Sendable {
    struct Item: Sendable {
        var expiresAt: Double
        var key: String
    }

    private(set) var items: [Item] = []

    var count: Int { items.count }
    var top: Item? { items.first }

    mutating func push(_ item: Item) {
        items.append(item)
        var child = items.count - 1
        while child > 0 {
            let parent = (child - 1) / 2
            guard items[child].expiresAt < items[parent].expiresAt else { break }
            items.swapAt(child, parent)
            child = parent
        }
    }

    @discardableResult
    mutating func pop() -> Item? {
        guard !items.isEmpty else { return nil }
        items.swapAt(0, items.count - 1)
        let item = items.removeLast()
        siftDown(from: 0)
        return item
    }

    /// Replaces the contents (heapify in O(n)).
    mutating func rebuild(_ newItems: [Item]) {
        items = newItems
        guard items.count > 1 else { return }
        for start in stride(from: items.count / 2 - 1, through: 0, by: -1) { siftDown(from: start) }
    }

    private mutating func siftDown(from start: Int) {
        var parent = start
        while true {
            let left = 2 * parent + 1
            let right = left + 1
            var smallest = parent
            if left < items.count, items[left].expiresAt < items[smallest].expiresAt { smallest = left }
            if right < items.count, items[right].expiresAt < items[smallest].expiresAt { smallest = right }
            guard smallest != parent else { return }
            items.swapAt(parent, smallest)
            parent = smallest
        }
    }

    mutating func removeAll() { items.removeAll() }
}
