/// Why a request is neither answered from nor stored in the cache; a bounded set, fit for a
/// metric label.
public enum CacheBypassReason: String, Sendable, Equatable, CaseIterable {
    /// The cache is turned off in the config.
    case disabled
    /// Not `POST /v1/messages` or `POST /v1/messages/count_tokens`.
    case notCacheableRoute = "not_cacheable_route"
    /// The client sent `x-ballast-cache: off` / `no-store` (or `ttl=0`).
    case optedOut = "opted_out"
    /// No `x-ballast-cache` header and no configured rule matched.
    case notOptedIn = "not_opted_in"
    /// `x-ballast-cache` had a value Ballast does not understand; it is ignored rather than
    /// guessed at, so a typo never caches what the client did not mean to.
    case invalidDirective = "invalid_directive"
}
