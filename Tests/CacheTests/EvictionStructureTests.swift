@testable import Cache
import Testing

@Suite("LRU list and expiry heap")
struct EvictionStructureTests {
    @Test("LRUList matches a plain array model under random operations")
    func lruModel() {
        var list = LRUList<Int>()
        var model: [Int] = []  // least recent first
        var seed: UInt64 = 0x9E37_79B9_7F4A_7C15
        func next(_ bound: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(bound))
        }
        for _ in 0..<5000 {
            let key = next(40)
            if next(4) == 0 {
                list.remove(key)
                model.removeAll { $0 == key }
            } else {
                list.touch(key)
                model.removeAll { $0 == key }
                model.append(key)
            }
            #expect(list.count == model.count)
            #expect(list.leastRecent == model.first)
        }
        #expect(list.leastRecentFirst == model)
        #expect(list.leastRecent(excluding: model.first) == model.dropFirst().first)
    }

    @Test("ExpiryHeap pops in expiry order, also after a rebuild")
    func heapOrder() {
        var heap = ExpiryHeap()
        let times = [5.0, 1, 9, 3, 3, 7, 0.5, 12, 2]
        for (index, time) in times.enumerated() { heap.push(ExpiryHeap.Item(expiresAt: time, key: "k\(index)")) }
        var popped: [Double] = []
        while let item = heap.pop() { popped.append(item.expiresAt) }
        #expect(popped == times.sorted())

        heap.rebuild(times.enumerated().map { ExpiryHeap.Item(expiresAt: $0.element, key: "k\($0.offset)") })
        popped = []
        while let item = heap.pop() { popped.append(item.expiresAt) }
        #expect(popped == times.sorted())
    }

    @Test("CacheIndex picks expired entries first, then the least recently used, and skips stale heap items")
    func indexVictims() {
        var index = CacheIndex()
        func entry(_ expiresAt: Double, bytes: Int = 10) -> CacheIndex.Entry {
            CacheIndex.Entry(fingerprint: "f", bytes: bytes, storedAt: 0, expiresAt: expiresAt)
        }
        index.insert("a", entry(100))
        index.insert("b", entry(50))
        index.insert("c", entry(200))
        index.insert("b", entry(300, bytes: 20))  // stored again: its old expiry is out of date
        #expect(index.totalBytes == 40)
        #expect(index.victim(wall: 60, protecting: nil) == "a")  // b no longer expires at 50; a is the LRU
        #expect(index.victim(wall: 150, protecting: nil) == "a")  // a expired
        index.touch("a")
        #expect(index.victim(wall: 60, protecting: nil) == "c")
        #expect(index.victim(wall: 60, protecting: "c") == "b")
        index.remove("c")
        #expect(index.expired(atOrBefore: 250) == "a")
        #expect(index.leastRecentFirst == ["b", "a"])
    }
}
