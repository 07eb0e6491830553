/// What `CachePolicy` decided for one request.
public enum CacheDecision: Sendable, Equatable {
    /// Look the request up; on a miss, store its complete 200 answer for `ttl` seconds.
    case cache(ttl: Double)
    /// Neither look up nor store.
    case bypass(CacheBypassReason)

    /// The TTL when the request is cacheable.
    public var ttl: Double? {
        if case .cache(let ttl) = self { return ttl }
        return nil
    }

    public var isCacheable: Bool { ttl != nil }

    /// Whether degradation (level 4, "answer from the cache, stale allowed") may answer this
    /// request from the cache even though it did not opt in: yes for any request on a
    /// cacheable route, unless the client opted out or the cache is off. Without an entry
    /// under the same key there is nothing to serve anyway.
    public var allowsDegradedAnswer: Bool {
        switch self {
        case .cache: return true
        case .bypass(let reason): return reason == .notOptedIn || reason == .invalidDirective
        }
    }
}
