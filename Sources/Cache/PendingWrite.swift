/// A change to one row of the cache table, waiting for the writer thread. Only the last
/// change per key matters, so pending writes are kept in a dictionary by key.
enum PendingWrite: Sendable {
    case put(fingerprint: String, answer: CachedAnswer)
    case delete

    /// Bytes of body this write holds in memory.
    var bytes: Int {
        if case .put(_, let answer) = self { return answer.body.count }
        return 0
    }
}
