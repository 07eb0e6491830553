import Synchronization

/// The rate limiters of many credentials, one each, for the regions that charge them: the
/// `Simulator` owns one for the organisation scope, shared by every region in it, and each
/// region one for its own scope. Regions serve from their own server threads, so every
/// operation takes the lock; the figures come with each call (a region's limits may change
/// at run time), and a limiter adopts them as `RateLimiter.update` describes.
final class RateLimitStore: Sendable {
    /// Above this many credentials, limiters that are as good as fresh are forgotten, so a
    /// client inventing keys cannot grow the map without bound.
    static let sweepThreshold = 1024

    private let limiters = Mutex<[String: RateLimiter]>([:])

    /// Forgets every bucket (the simulator's timeline restarts).
    func reset() {
        limiters.withLock { $0.removeAll() }
    }

    var count: Int { limiters.withLock { $0.count } }

    func admit(credential: String, settings: RateLimitSettings, inputTokens: Int, now: Double) -> RateLimiter.Decision {
        guard Self.limits(settings) else { return .admitted }
        return withLimiter(credential, settings, now) { $0.admit(inputTokens: inputTokens, now: now) }
    }

    func charge(credential: String, settings: RateLimitSettings, output: OutputCharge, now: Double) {
        guard Self.limits(settings) else { return }
        withLimiter(credential, settings, now) { $0.charge(output: output, now: now) }
    }

    func secondsUntilNextRequest(credential: String, settings: RateLimitSettings, now: Double) -> Double {
        peek(credential, settings, now).secondsUntilNextRequest(now: now)
    }

    /// Where the credential's buckets stand; a credential never charged reads full buckets
    /// and is not stored (a 401 flood must not fill the map).
    func snapshot(credential: String, settings: RateLimitSettings, now: Double) -> RateLimiter.Snapshot {
        peek(credential, settings, now).snapshot(now: now)
    }

    private static func limits(_ settings: RateLimitSettings) -> Bool {
        settings.limitsRequests || settings.limitsInputTokens || settings.limitsOutputTokens
    }

    private func peek(_ credential: String, _ settings: RateLimitSettings, _ now: Double) -> RateLimiter {
        var limiter = limiters.withLock { $0[credential] } ?? RateLimiter(settings: settings, now: now)
        limiter.update(settings, now: now)
        return limiter
    }

    @discardableResult
    private func withLimiter<T>(
        _ credential: String, _ settings: RateLimitSettings, _ now: Double,
        _ body: (inout RateLimiter) -> T
    ) -> T {
        limiters.withLock { map in
            var limiter = map[credential] ?? RateLimiter(settings: settings, now: now)
            limiter.update(settings, now: now)
            let result = body(&limiter)
            map[credential] = limiter
            if map.count > Self.sweepThreshold {
                map = map.filter { $0.key == credential || !$0.value.isIdle(at: now) }
            }
            return result
        }
    }
}
