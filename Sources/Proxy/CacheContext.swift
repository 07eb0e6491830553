import BallastCore
package import Cache
package import SharedState

/// The response cache, its policy, and the table of requests waiting on an identical one
/// already in flight (coalescing). The table is confined to the upstream loop thread.
package final class CacheContext: @unchecked Sendable {
    let policy: CachePolicy
    package let store: ResponseCache
    /// Loop-thread only: the followers of each in-flight leader, by cache key.
    private var followers: [CacheKey: [ProxiedCall]] = [:]
    let counters = CacheCounters()
    /// The Redis tier in front of which `store` is the local one; nil when running alone.
    let shared: SharedCacheTier?

    package init(policy: CachePolicy, store: ResponseCache, shared: SharedCacheTier? = nil) {
        self.policy = policy
        self.store = store
        self.shared = shared
    }

    /// Loop thread: true when `call` becomes the leader for `key`; false when it was queued
    /// behind a leader and will be served when that one finishes.
    func join(_ key: CacheKey, _ call: ProxiedCall) -> Bool {
        if followers[key] != nil {
            followers[key]!.append(call)
            return false
        }
        followers[key] = []
        return true
    }

    /// Loop thread: the leader is done; its followers, to serve or to release.
    func leaderFinished(_ key: CacheKey) -> [ProxiedCall] {
        followers.removeValue(forKey: key) ?? []
    }

    /// Loop thread: a follower whose client left stops waiting.
    func leave(_ key: CacheKey, _ call: ProxiedCall) {
        followers[key]?.removeAll { $0 === call }
    }
}
