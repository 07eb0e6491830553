import BallastCore
import BallastTesting
import Cache
import Dispatch
import Testing

@Suite("Response cache")
struct ResponseCacheTests {
    private func key(_ name: String, credential: String = "sk-ant-one") throws -> CacheKey {
        try CacheKey(
            credential: credential, path: "/v1/messages",
            body: Array(#"{"model":"m","messages":[{"role":"user","content":"\#(name)"}]}"#.utf8),
            headers: ["anthropic-version": "2023-06-01"])
    }

    private func body(_ text: String, size: Int = 0) -> [UInt8] {
        let padding = String(repeating: "x", count: max(0, size - 56 - text.utf8.count))
        let json = #"{"type":"message","content":[{"type":"text","text":"\#(text)\#(padding)"}]}"#
        return Array(json.utf8)
    }

    @Test("a stored answer is served fresh until its TTL, stale only when allowed, then gone")
    func expiry() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let cache = try ResponseCache(path: directory.path("cache.db"), options: ResponseCacheOptions(staleRetention: 100))
        let key = try key("hello")
        #expect(cache.lookup(key, wall: clock.wallTime()) == nil)
        #expect(cache.store(key, body: body("hi"), ttl: 60, wall: clock.wallTime()))

        clock.advance(seconds: 59)
        let fresh = cache.lookup(key, wall: clock.wallTime())
        #expect(fresh?.body == body("hi"))
        #expect(fresh?.contentType == "application/json")
        #expect(fresh?.storedAt == clock.wallTime() - 59)
        #expect(fresh?.expiresAt == clock.wallTime() + 1)
        #expect(fresh?.isFresh(at: clock.wallTime()) == true)
        #expect(fresh?.age(at: clock.wallTime()) == 59)

        clock.advance(seconds: 1)
        #expect(cache.lookup(key, wall: clock.wallTime()) == nil)
        let stale = cache.lookup(key, wall: clock.wallTime(), allowStale: true)
        #expect(stale?.body == body("hi"))
        #expect(stale?.isFresh(at: clock.wallTime()) == false)

        clock.advance(seconds: 100)  // expiry + staleRetention: removed
        #expect(cache.lookup(key, wall: clock.wallTime(), allowStale: true) == nil)

        let stats = cache.stats
        #expect(stats.hits == 1)
        #expect(stats.staleHits == 1)
        #expect(stats.misses == 3)
        #expect(stats.stores == 1)
        #expect(stats.expirations == 1)
        #expect(stats.entries == 0)
        #expect(stats.bytes == 0)
    }

    @Test("an answer is never served to another credential")
    func fingerprintMismatch() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let cache = try ResponseCache(path: directory.path("cache.db"))
        let mine = try key("secret question")
        cache.store(mine, body: body("secret answer"), ttl: 600, wall: clock.wallTime())

        // The same request under another key has another cache key: a plain miss.
        let theirs = try key("secret question", credential: "sk-ant-two")
        #expect(theirs.hex != mine.hex)
        #expect(cache.lookup(theirs, wall: clock.wallTime(), allowStale: true) == nil)

        // Even a key that collides on the hash but carries another fingerprint misses.
        let forged = CacheKey(hex: mine.hex, fingerprint: theirs.fingerprint)
        #expect(cache.lookup(forged, wall: clock.wallTime(), allowStale: true) == nil)
        #expect(cache.stats.fingerprintMismatches == 1)

        // Also after a restart, when the answer comes from disk.
        cache.flush()
        cache.close()
        let reopened = try ResponseCache(path: directory.path("cache.db"))
        #expect(reopened.lookup(forged, wall: clock.wallTime(), allowStale: true) == nil)
        #expect(reopened.lookup(mine, wall: clock.wallTime())?.body == body("secret answer"))
        #expect(reopened.stats.fingerprintMismatches == 1)
    }

    @Test("count bound: the least recently used answer is evicted")
    func countBound() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let cache = try ResponseCache(path: directory.path("cache.db"), options: ResponseCacheOptions(maxEntries: 3))
        let keys = try ["a", "b", "c", "d"].map { try key($0) }
        for index in 0..<3 {
            cache.store(keys[index], body: body("\(index)"), ttl: 600, wall: clock.wallTime())
            clock.advance(seconds: 1)
        }
        #expect(cache.lookup(keys[0], wall: clock.wallTime()) != nil)  // a is now the most recent
        cache.store(keys[3], body: body("3"), ttl: 600, wall: clock.wallTime())

        #expect(cache.lookup(keys[1], wall: clock.wallTime()) == nil)  // b was the least recent
        #expect(cache.lookup(keys[0], wall: clock.wallTime()) != nil)
        #expect(cache.lookup(keys[2], wall: clock.wallTime()) != nil)
        #expect(cache.lookup(keys[3], wall: clock.wallTime()) != nil)
        #expect(cache.stats.evictions == 1)
        #expect(cache.stats.entries == 3)
    }

    @Test("byte bound: evicts least recently used until the new answer fits; oversized answers are refused")
    func byteBound() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let options = ResponseCacheOptions(maxEntries: 100, maxBytes: 1000, maxEntryBytes: 600)
        let cache = try ResponseCache(path: directory.path("cache.db"), options: options)
        let keys = try (0..<5).map { try key("k\($0)") }
        for index in 0..<3 {
            cache.store(keys[index], body: body("\(index)", size: 300), ttl: 600, wall: clock.wallTime())
        }
        #expect(cache.stats.bytes == 900)
        _ = cache.lookup(keys[0], wall: clock.wallTime())
        // 500 more bytes: two answers must go, the least recently used ones (1, then 2).
        cache.store(keys[3], body: body("3", size: 500), ttl: 600, wall: clock.wallTime())
        #expect(cache.lookup(keys[1], wall: clock.wallTime()) == nil)
        #expect(cache.lookup(keys[2], wall: clock.wallTime()) == nil)
        #expect(cache.lookup(keys[0], wall: clock.wallTime()) != nil)
        #expect(cache.lookup(keys[3], wall: clock.wallTime()) != nil)
        #expect(cache.stats.bytes == 800)
        #expect(cache.stats.evictions == 2)

        #expect(!cache.store(keys[4], body: body("4", size: 601), ttl: 600, wall: clock.wallTime()))
        #expect(cache.stats.rejectedTooLarge == 1)
        #expect(cache.lookup(keys[4], wall: clock.wallTime()) == nil)
        #expect(cache.stats.bytes == 800)
    }

    @Test("expired answers are evicted before fresh ones, even recently used ones")
    func expiredFirst() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let cache = try ResponseCache(path: directory.path("cache.db"), options: ResponseCacheOptions(maxEntries: 3))
        let keys = try ["a", "b", "c", "d"].map { try key($0) }
        cache.store(keys[0], body: body("a"), ttl: 1000, wall: clock.wallTime())
        cache.store(keys[1], body: body("b"), ttl: 10, wall: clock.wallTime())
        cache.store(keys[2], body: body("c"), ttl: 1000, wall: clock.wallTime())
        clock.advance(seconds: 20)
        #expect(cache.lookup(keys[1], wall: clock.wallTime(), allowStale: true) != nil)  // b: stale, most recent
        cache.store(keys[3], body: body("d"), ttl: 1000, wall: clock.wallTime())
        #expect(cache.lookup(keys[1], wall: clock.wallTime(), allowStale: true) == nil)
        #expect(cache.lookup(keys[0], wall: clock.wallTime()) != nil)  // a was the least recent, but fresh
    }

    @Test("storing a key again replaces its answer and its size")
    func replace() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let cache = try ResponseCache(path: directory.path("cache.db"))
        let key = try key("q")
        cache.store(key, body: body("first", size: 100), ttl: 10, wall: clock.wallTime())
        cache.store(key, body: body("second", size: 200), ttl: 600, wall: clock.wallTime())
        clock.advance(seconds: 60)
        #expect(cache.lookup(key, wall: clock.wallTime())?.body == body("second", size: 200))
        #expect(cache.stats.entries == 1)
        #expect(cache.stats.bytes == 200)
        cache.flush()
        cache.close()
        let reopened = try ResponseCache(path: directory.path("cache.db"))
        #expect(reopened.lookup(key, wall: clock.wallTime())?.body == body("second", size: 200))
        #expect(reopened.stats.bytes == 200)
    }

    @Test("answers, their expiry and their LRU order survive a restart; evicted ones stay gone")
    func persistence() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("cache.db")
        let clock = ManualClock()
        let keys = try ["a", "b", "c", "d", "e"].map { try key($0) }
        do {
            let cache = try ResponseCache(path: path, options: ResponseCacheOptions(maxEntries: 3))
            for index in 0..<4 {
                cache.store(keys[index], body: body("\(index)"), ttl: 600, wall: clock.wallTime())
                clock.advance(seconds: 1)
            }
            // a was evicted; b is touched, so c is now the least recently used.
            #expect(cache.lookup(keys[1], wall: clock.wallTime()) != nil)
            clock.advance(seconds: 1)
            cache.close()  // commits what is pending
        }
        let reopened = try ResponseCache(path: path, options: ResponseCacheOptions(maxEntries: 3))
        #expect(reopened.stats.entries == 3)
        #expect(reopened.stats.memoryEntries == 0)  // bodies load lazily
        #expect(reopened.lookup(keys[0], wall: clock.wallTime()) == nil)
        let answer = reopened.lookup(keys[3], wall: clock.wallTime())
        #expect(answer?.body == body("3"))
        #expect(answer?.storedAt == clock.wallTime() - 2)
        #expect(answer?.expiresAt == clock.wallTime() + 598)
        #expect(reopened.stats.diskReads == 1)
        #expect(reopened.lookup(keys[3], wall: clock.wallTime()) != nil)
        #expect(reopened.stats.diskReads == 1)  // now from memory

        clock.advance(seconds: 1)
        reopened.store(keys[4], body: body("4"), ttl: 600, wall: clock.wallTime())
        #expect(reopened.lookup(keys[2], wall: clock.wallTime()) == nil)  // c was the least recent
        clock.advance(seconds: 1)
        #expect(reopened.lookup(keys[1], wall: clock.wallTime()) != nil)  // b is now the most recent

        // Lowered bounds trim at open, least recently used first.
        reopened.close()
        let smaller = try ResponseCache(path: path, options: ResponseCacheOptions(maxEntries: 1))
        #expect(smaller.stats.entries == 1)
        #expect(smaller.lookup(keys[1], wall: clock.wallTime()) != nil)
        smaller.close()
        let again = try ResponseCache(path: path, options: ResponseCacheOptions(maxEntries: 10))
        #expect(again.stats.entries == 1)
    }

    @Test("the memory front is bounded; answers it dropped are read back from SQLite")
    func memoryFront() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let options = ResponseCacheOptions(maxBytes: 100_000, memoryBytes: 1000, flushInterval: 10)
        let cache = try ResponseCache(path: directory.path("cache.db"), options: options)
        let keys = try (0..<10).map { try key("m\($0)") }
        for (index, key) in keys.enumerated() {
            cache.store(key, body: body("\(index)", size: 400), ttl: 600, wall: clock.wallTime())
        }
        #expect(cache.stats.memoryBytes <= 1000)
        #expect(cache.stats.memoryEntries == 2)
        // Not yet written (long flush interval): served from the pending writes.
        #expect(cache.lookup(keys[0], wall: clock.wallTime())?.body == body("0", size: 400))
        #expect(cache.stats.diskReads == 0)
        cache.flush()
        #expect(cache.stats.pendingWrites == 0)
        for (index, key) in keys.enumerated() {
            #expect(cache.lookup(key, wall: clock.wallTime())?.body == body("\(index)", size: 400))
        }
        #expect(cache.stats.diskReads >= 7)
        #expect(cache.stats.hits == 11)
        #expect(cache.stats.memoryBytes <= 1000)
    }

    @Test("remove and removeAll also clear the table")
    func removal() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("cache.db")
        let clock = ManualClock()
        let keys = try ["a", "b", "c"].map { try key($0) }
        let cache = try ResponseCache(path: path)
        for key in keys { cache.store(key, body: body("x"), ttl: 600, wall: clock.wallTime()) }
        cache.flush()
        cache.remove(keys[0])
        #expect(cache.lookup(keys[0], wall: clock.wallTime()) == nil)
        cache.close()
        let reopened = try ResponseCache(path: path)
        #expect(reopened.stats.entries == 2)
        reopened.removeAll()
        #expect(reopened.stats.entries == 0)
        reopened.store(keys[2], body: body("new"), ttl: 600, wall: clock.wallTime())
        reopened.close()
        let last = try ResponseCache(path: path)
        #expect(last.stats.entries == 1)
        #expect(last.lookup(keys[2], wall: clock.wallTime())?.body == body("new"))
        #expect(last.lookup(keys[1], wall: clock.wallTime()) == nil)
    }

    @Test("shares a database file with other tables")
    func sharedFile() throws {
        let directory = try TemporaryDirectory()
        let path = directory.path("ballast.db")
        let clock = ManualClock()
        let first = try ResponseCache(path: path)
        let key = try key("shared")
        first.store(key, body: body("x"), ttl: 600, wall: clock.wallTime())
        first.close()
        // A second open finds the table in place (CREATE TABLE IF NOT EXISTS).
        let second = try ResponseCache(path: path)
        #expect(second.lookup(key, wall: clock.wallTime()) != nil)
    }

    @Test("concurrent stores and lookups from many threads keep the books straight")
    func concurrency() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let options = ResponseCacheOptions(maxEntries: 50, memoryBytes: 4000, flushInterval: 0.001, batchSize: 8)
        let cache = try ResponseCache(path: directory.path("cache.db"), options: options)
        let keys = try (0..<80).map { try key("c\($0)") }
        let now = clock.wallTime()
        DispatchQueue.concurrentPerform(iterations: 4) { worker in
            for round in 0..<200 {
                let key = keys[(round * 7 + worker * 13) % keys.count]
                if cache.lookup(key, wall: now) == nil {
                    cache.store(key, body: body(key.hex, size: 200), ttl: 600, wall: now)
                }
            }
        }
        cache.flush()
        let stats = cache.stats
        #expect(stats.entries <= 50)
        #expect(stats.bytes == stats.entries * 200)
        #expect(stats.hits + stats.misses == 800)
        #expect(stats.writeErrors == 0)
        for key in keys {
            if let answer = cache.lookup(key, wall: now) { #expect(answer.body == body(key.hex, size: 200)) }
        }
    }
}

@Suite("Response cache in memory")
struct InMemoryResponseCacheTests {
    @Test(":memory: works, including answers the memory front dropped")
    func inMemory() throws {
        let clock = ManualClock()
        let cache = try ResponseCache(path: ":memory:", options: ResponseCacheOptions(memoryBytes: 0))
        let key = try CacheKey(credential: "c", path: "/v1/messages", body: Array(#"{"a":1}"#.utf8), headers: [:])
        cache.store(key, body: Array(#"{"type":"message"}"#.utf8), ttl: 60, wall: clock.wallTime())
        cache.flush()
        #expect(cache.lookup(key, wall: clock.wallTime())?.body == Array(#"{"type":"message"}"#.utf8))
        #expect(cache.stats.diskReads == 1)
    }
}

@Suite("Response cache failure handling")
struct ResponseCacheFailureTests {
    @Test("a database that cannot be opened is an error, not a hang")
    func unopenable() {
        #expect(throws: (any Error).self) {
            _ = try ResponseCache(path: "/nonexistent-ballast-dir/sub/cache.db")
        }
    }

    @Test("when the writer is too far behind, answers are kept in memory only")
    func pendingBound() throws {
        let directory = try TemporaryDirectory()
        let clock = ManualClock()
        let options = ResponseCacheOptions(flushInterval: 60, maxPendingBytes: 100)
        let cache = try ResponseCache(path: directory.path("cache.db"), options: options)
        let first = try CacheKey(credential: "c", path: "/v1/messages", body: Array(#"{"n":1}"#.utf8), headers: [:])
        let second = try CacheKey(credential: "c", path: "/v1/messages", body: Array(#"{"n":2}"#.utf8), headers: [:])
        let body = [UInt8](repeating: UInt8(ascii: "x"), count: 80)
        #expect(cache.store(first, body: body, ttl: 60, wall: clock.wallTime()))
        #expect(cache.store(second, body: body, ttl: 60, wall: clock.wallTime()))
        #expect(cache.stats.droppedWrites == 1)
        #expect(cache.lookup(second, wall: clock.wallTime())?.body == body)  // from memory
        cache.close()
        let reopened = try ResponseCache(path: directory.path("cache.db"))
        #expect(reopened.stats.entries == 1)
        #expect(reopened.lookup(first, wall: clock.wallTime())?.body == body)
    }
}
