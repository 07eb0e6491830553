public import BallastCore
import Synchronization

/// Decides, for every request, which OAuth bearer token to use and when to refresh it, so that
/// exactly one refresh runs at a time and traffic continues on the current token while it does.
///
/// The seed article's third pain point is a burst of 401s when a token expires or its refresh
/// breaks. This avoids both: a token is refreshed *before* it expires (when less than
/// `refreshAhead` of its life is left: 20 % of its lifetime, at least 30 s), requests keep using
/// it meanwhile, and a failed refresh is retried with backoff (1 s doubling to 30 s) while the
/// token is still valid. Only when no valid token is left do requests wait for (or fail fast
/// on) the refresh.
///
/// The type performs no HTTP: the caller that receives a `Refresh` ticket does the token call
/// and reports it with `refreshSucceeded` or `refreshFailed`. Callers told to wait are woken by
/// the caller's own notification when the refresh ends and then ask again.
///
/// Call sequence per request: `tokenForRequest(now:)` →
/// - `.use(token)`: send with it;
/// - `.useAndRefreshInBackground(token, refresh)`: send with it *and* start the refresh;
/// - `.startRefresh(refresh)`: no valid token; refresh, then ask again;
/// - `.waitForRefresh`: another caller is refreshing; wait for it, then ask again;
/// - `.unavailable(reason)`: no valid token and the refresh is backing off; answer an error.
/// On a 401: `forceRefresh(after401: rejectedValue, now:)`, once per token value (a second 401
/// with the same token does not refresh again); non-nil means "you refresh now".
/// Thread-safe; one instance per credential.
public final class TokenRefresher: Sendable {
    public struct Token: Sendable, Equatable {
        public var value: String
        public var expiresAt: MonotonicInstant

        public init(value: String, expiresAt: MonotonicInstant) {
            self.value = value
            self.expiresAt = expiresAt
        }
    }

    /// The ticket of one refresh: hand it back with the result, so a late answer from an
    /// abandoned refresh cannot end a newer one.
    public struct Refresh: Sendable, Hashable {
        public let id: UInt64
    }

    public enum Decision: Sendable, Equatable {
        case use(Token)
        case useAndRefreshInBackground(Token, Refresh)
        case startRefresh(Refresh)
        case waitForRefresh
        case unavailable(reason: String)
    }

    public struct Settings: Sendable, Equatable {
        /// Refresh when less than this fraction of the token's lifetime is left...
        public var refreshAheadFraction: Double
        /// ...or less than this many seconds, whichever is more.
        public var minimumRefreshAhead: Double
        /// First retry delay after a failed refresh; doubles per failure up to `retryCap`.
        public var retryBase: Double
        public var retryCap: Double
        /// A refresh not reported within this many seconds is presumed lost; another may start.
        public var refreshTimeout: Double

        public init(
            refreshAheadFraction: Double = 0.2, minimumRefreshAhead: Double = 30, retryBase: Double = 1,
            retryCap: Double = 30, refreshTimeout: Double = 30
        ) {
            self.refreshAheadFraction = refreshAheadFraction
            self.minimumRefreshAhead = minimumRefreshAhead
            self.retryBase = retryBase
            self.retryCap = retryCap
            self.refreshTimeout = refreshTimeout
        }
    }

    /// The refresher's state, for `/metrics` and the control API.
    public struct Snapshot: Sendable, Equatable {
        public var hasValidToken: Bool
        public var expiresIn: Double?
        public var refreshing: Bool
        public var consecutiveFailures: Int
        public var lastFailure: String?
        public var refreshesStarted: Int
        public var refreshesFailed: Int
    }

    private struct State {
        var token: Token?
        var refreshAt: MonotonicInstant?
        /// The token was rejected with a 401: do not use it any more.
        var rejected = false
        /// The token value a 401 already forced a refresh for.
        var forcedFor: String?
        var inFlight: (refresh: Refresh, startedAt: MonotonicInstant)?
        var nextId: UInt64 = 1
        var failures = 0
        var lastFailure: String?
        var retryAt: MonotonicInstant?
        var started = 0
        var failed = 0
    }

    public let settings: Settings
    private let state = Mutex(State())

    public init(settings: Settings = Settings()) {
        self.settings = settings
    }

    public func tokenForRequest(now: MonotonicInstant) -> Decision {
        state.withLock { s in
            expireLostRefresh(&s, now: now)
            if let token = s.token, !s.rejected, now < token.expiresAt {
                if let refreshAt = s.refreshAt, now >= refreshAt, s.inFlight == nil, s.retryAt.map({ now >= $0 }) ?? true {
                    return .useAndRefreshInBackground(token, start(&s, now: now))
                }
                return .use(token)
            }
            if s.inFlight != nil { return .waitForRefresh }
            if let retryAt = s.retryAt, now < retryAt {
                return .unavailable(reason: s.lastFailure ?? "token refresh failed")
            }
            return .startRefresh(start(&s, now: now))
        }
    }

    /// The refresh `refresh` returned a token valid for `expiresIn` seconds (the OAuth
    /// `expires_in`). A late success of an abandoned refresh is still a good token and is kept.
    public func refreshSucceeded(_ refresh: Refresh, value: String, expiresIn: Double, now: MonotonicInstant) {
        state.withLock { s in
            let lifetime = max(0, expiresIn)
            let expiresAt = now.adding(seconds: lifetime)
            if s.inFlight?.refresh == refresh { s.inFlight = nil }
            // A stale answer must not replace a newer token.
            if let current = s.token, !s.rejected, current.expiresAt > expiresAt { return }
            let ahead = max(settings.minimumRefreshAhead, lifetime * settings.refreshAheadFraction)
            s.token = Token(value: value, expiresAt: expiresAt)
            s.refreshAt = now.adding(seconds: max(0, lifetime - ahead))
            s.rejected = false
            s.failures = 0
            s.lastFailure = nil
            s.retryAt = nil
        }
    }

    /// The refresh `refresh` failed; the next one may start after the backoff.
    public func refreshFailed(_ refresh: Refresh, reason: String, now: MonotonicInstant) {
        state.withLock { s in
            guard s.inFlight?.refresh == refresh else { return }
            s.inFlight = nil
            recordFailure(&s, reason: reason, now: now)
        }
    }

    /// A request sent with `rejectedValue` got a 401. Returns a ticket when the caller should
    /// refresh now; nil when the token was already replaced (ask `tokenForRequest` again), a
    /// refresh is already running (wait for it), or this token already forced one (the 401 is
    /// final).
    public func forceRefresh(after401 rejectedValue: String, now: MonotonicInstant) -> Refresh? {
        state.withLock { s in
            guard let token = s.token, token.value == rejectedValue, s.forcedFor != rejectedValue else { return nil }
            s.forcedFor = rejectedValue
            s.rejected = true
            expireLostRefresh(&s, now: now)
            guard s.inFlight == nil else { return nil }
            return start(&s, now: now)
        }
    }

    public func snapshot(now: MonotonicInstant) -> Snapshot {
        state.withLock { s in
            let valid = s.token.map { !s.rejected && now < $0.expiresAt } ?? false
            return Snapshot(
                hasValidToken: valid, expiresIn: s.token.map { $0.expiresAt.seconds(since: now) },
                refreshing: s.inFlight != nil, consecutiveFailures: s.failures,
                lastFailure: s.lastFailure, refreshesStarted: s.started, refreshesFailed: s.failed)
        }
    }

    private func start(_ s: inout State, now: MonotonicInstant) -> Refresh {
        let refresh = Refresh(id: s.nextId)
        s.nextId += 1
        s.inFlight = (refresh, now)
        s.started += 1
        return refresh
    }

    private func expireLostRefresh(_ s: inout State, now: MonotonicInstant) {
        guard let inFlight = s.inFlight, now.seconds(since: inFlight.startedAt) >= settings.refreshTimeout else { return }
        s.inFlight = nil
        recordFailure(&s, reason: "token refresh timed out", now: now)
    }

    private func recordFailure(_ s: inout State, reason: String, now: MonotonicInstant) {
        s.failures += 1
        s.failed += 1
        s.lastFailure = reason
        let exponent = min(s.failures - 1, 30)
        let delay = min(settings.retryCap, settings.retryBase * Double(sign: .plus, exponent: exponent, significand: 1))
        s.retryAt = now.adding(seconds: delay)
    }
}
