import Cache

/// A request the cache policy found cacheable: its key and how long its answer is kept.
struct CachedRequest: Sendable {
    let key: CacheKey
    let ttl: Double
}
