import Synchronization

/// Cache outcomes for `/metrics`.
final class CacheCounters: Sendable {
    let hits = Atomic<Int>(0)
    let misses = Atomic<Int>(0)
    let coalesced = Atomic<Int>(0)
    let stored = Atomic<Int>(0)
}
