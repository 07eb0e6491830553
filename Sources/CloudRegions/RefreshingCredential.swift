public import BallastCore
import Resilience
import Synchronization
public import Upstream

/// A short-lived cloud credential (STS temporary keys, a Google access token) fetched from its
/// `TokenSource` by the same single-flight `TokenRefresher` as `upstream.auth.mode: oauth`:
/// refreshed ahead of expiry while traffic keeps using the current one, one refresh at a time
/// however many requests ask, with backoff after a failure, and once more after a 401.
public final class RefreshingCredential: Sendable, CustomStringConvertible {
    private let refresher: TokenRefresher
    private let source: any TokenSource
    private let client: UpstreamClient
    private let clock: any TimeSource
    private let waiting = Mutex<(inFlight: Bool, actions: [@Sendable () -> Void])>((false, []))
    private let counts = Mutex<(succeeded: Int, failed: Int, lastFailure: String?)>((0, 0, nil))

    public init(source: any TokenSource, client: UpstreamClient, clock: any TimeSource) {
        // STS and Google tokens live an hour: refresh with a fifth left (12 minutes), as the
        // SDKs do with 5-15; short test tokens still get a second of slack.
        refresher = TokenRefresher(settings: TokenRefresher.Settings(refreshAheadFraction: 0.2, minimumRefreshAhead: 1))
        self.source = source
        self.client = client
        self.clock = clock
    }

    public var description: String { "\(source) (token redacted)" }

    /// Refreshes that succeeded and failed, and the last failure's reason (no secret in it).
    public var refreshCounts: (succeeded: Int, failed: Int, lastFailure: String?) { counts.withLock { $0 } }

    public func token() -> TokenState {
        switch refresher.tokenForRequest(now: clock.now()) {
        case .use(let token):
            return .ready(token.value)
        case .useAndRefreshInBackground(let token, let refresh):
            start(refresh)
            return .ready(token.value)
        case .startRefresh(let refresh):
            start(refresh)
            return .wait
        case .waitForRefresh:
            return .wait
        case .unavailable(let reason):
            return .unavailable(reason)
        }
    }

    public func notifyWhenReady(_ action: @escaping @Sendable () -> Void) {
        let runNow = waiting.withLock { state -> Bool in
            guard state.inFlight else { return true }
            state.actions.append(action)
            return false
        }
        if runNow { action() }
    }

    /// The service refused `rejected`: true when a fresh credential is on its way (or here).
    public func reportUnauthorized(_ rejected: String) -> Bool {
        if let refresh = refresher.forceRefresh(after401: rejected, now: clock.now()) {
            start(refresh)
            return true
        }
        if case .use(let token) = refresher.tokenForRequest(now: clock.now()) { return token.value != rejected }
        return true
    }

    private func start(_ refresh: TokenRefresher.Refresh) {
        waiting.withLock { $0.inFlight = true }
        switch source.request(unixSeconds: clock.wallTime()) {
        case .failure(let error):
            finish(refresh, .failure(error))
        case .success(let request):
            // A token endpoint's answer is small: 64 KiB is far more than any holds.
            client.fetch(request, maxBodyBytes: 64 * 1024) { [self] answer in
                if let error = answer.completion.error {
                    finish(refresh, .failure(CloudCredentialError("\(source): \(error)")))
                } else {
                    finish(refresh, source.parse(status: answer.head?.status ?? 0, body: answer.body, unixSeconds: clock.wallTime()))
                }
            }
        }
    }

    private func finish(_ refresh: TokenRefresher.Refresh, _ result: Result<(value: String, expiresIn: Double), CloudCredentialError>) {
        let now = clock.now()
        switch result {
        case .success(let token) where token.expiresIn > 0 && !token.value.isEmpty:
            refresher.refreshSucceeded(refresh, value: token.value, expiresIn: token.expiresIn, now: now)
            counts.withLock { $0.succeeded += 1 }
        case .success:
            refresher.refreshFailed(refresh, reason: "\(source): the credential had already expired", now: now)
            counts.withLock {
                $0.failed += 1
                $0.lastFailure = "already expired"
            }
        case .failure(let error):
            refresher.refreshFailed(refresh, reason: error.description, now: now)
            counts.withLock {
                $0.failed += 1
                $0.lastFailure = error.description
            }
        }
        let actions = waiting.withLock { state -> [@Sendable () -> Void] in
            state.inFlight = false
            defer { state.actions = [] }
            return state.actions
        }
        for action in actions { action() }
    }
}
