/// The bodies of recently used answers, bounded in bytes, least recently used dropped first.
///
/// Hits on it need no SQLite read, so the gateway's loop thread is not held up by disk I/O
/// for the answers that matter most. Dropping a body here does not drop the answer: it
/// stays in the index and on disk, and the next hit reads it back.
struct MemoryFront: Sendable {
    let capacityBytes: Int
    private var answers: [String: CachedAnswer] = [:]
    private var order = LRUList<String>()
    private(set) var bytes = 0

    init(capacityBytes: Int) {
        self.capacityBytes = max(0, capacityBytes)
    }

    var count: Int { answers.count }

    /// The answer, marked as just used.
    mutating func get(_ key: String) -> CachedAnswer? {
        guard let answer = answers[key] else { return nil }
        order.touch(key)
        return answer
    }

    /// Keeps `answer` (replacing any under `key`), then drops the least recently used
    /// bodies until the front fits. A body larger than the whole front is not kept.
    mutating func put(_ key: String, _ answer: CachedAnswer) {
        remove(key)
        guard answer.body.count <= capacityBytes else { return }
        answers[key] = answer
        bytes += answer.body.count
        order.touch(key)
        while bytes > capacityBytes, let victim = order.leastRecent(excluding: key) {
            remove(victim)
        }
    }

    mutating func remove(_ key: String) {
        guard let answer = answers.removeValue(forKey: key) else { return }
        bytes -= answer.body.count
        order.remove(key)
    }

    mutating func removeAll() {
        self = MemoryFront(capacityBytes: capacityBytes)
    }
}
