package import BallastCore
import Resilience
import Synchronization
package import Upstream
import JSON

/// `oauth` mode: a client-credentials bearer token from a token endpoint, refreshed before it
/// expires by one refresh at a time (a thousand concurrent requests cause one token call),
/// and once more after a 401. Traffic keeps using the current token while a refresh runs or
/// backs off, so a token endpoint that is down costs nothing until the token itself expires.
package final class OAuthCredentials: UpstreamCredentials {
    private let refresher: TokenRefresher
    private let client: UpstreamClient
    private let clock: any TimeSource
    private let tokenURL: String
    private let clientID: String
    /// Held in memory only; never logged, never stored.
    private let clientSecret: String
    private let timeout: Double
    private let waiting = Mutex<(inFlight: Bool, actions: [@Sendable () -> Void])>((false, []))
    let refreshes = RefreshCounters()

    package init(
        tokenURL: String, clientID: String, clientSecret: String, client: UpstreamClient, clock: any TimeSource,
        timeout: Double = 30
    ) {
        // Refresh with a fifth of the lifetime left, but tokens of a few seconds still get a
        // second of slack rather than the default 30 s (which would refresh continuously).
        refresher = TokenRefresher(settings: TokenRefresher.Settings(refreshAheadFraction: 0.2, minimumRefreshAhead: 1))
        self.client = client
        self.clock = clock
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.timeout = timeout
    }

    package var modeName: String { "oauth" }

    package var description: String { "OAuth client credentials for \(clientID) at \(tokenURL) (secret redacted)" }

    package func apply(to upstream: inout HTTPHeaders, from client: HTTPHeaders) -> CredentialState {
        upstream.remove("x-api-key")
        switch refresher.tokenForRequest(now: clock.now()) {
        case .use(let token):
            upstream.set("authorization", "Bearer \(token.value)")
            return .ready
        case .useAndRefreshInBackground(let token, let refresh):
            upstream.set("authorization", "Bearer \(token.value)")
            start(refresh)
            return .ready
        case .startRefresh(let refresh):
            start(refresh)
            return .wait
        case .waitForRefresh:
            return .wait
        case .unavailable(let reason):
            return .unavailable("no valid upstream token: \(reason)")
        }
    }

    package func notifyWhenReady(_ action: @escaping @Sendable () -> Void) {
        let runNow = waiting.withLock { state -> Bool in
            guard state.inFlight else { return true }
            state.actions.append(action)
            return false
        }
        if runNow { action() }
    }

    package func reportUnauthorized(_ headers: HTTPHeaders) -> Bool {
        guard let bearer = headers["authorization"], bearer.hasPrefix("Bearer ") else { return false }
        let rejected = String(bearer.dropFirst("Bearer ".count))
        if let refresh = refresher.forceRefresh(after401: rejected, now: clock.now()) {
            start(refresh)
            return true
        }
        // Someone already refreshed after this token was rejected: replaying uses the new one.
        if case .use(let token) = refresher.tokenForRequest(now: clock.now()) { return token.value != rejected }
        return true
    }

    private func start(_ refresh: TokenRefresher.Refresh) {
        waiting.withLock { $0.inFlight = true }
        let body = "grant_type=client_credentials&client_id=\(PercentEncoding.encode(clientID))&client_secret=\(PercentEncoding.encode(clientSecret))"
        let request = UpstreamRequest(
            url: tokenURL,
            headers: ["content-type": "application/x-www-form-urlencoded", "accept": "application/json"],
            body: Array(body.utf8),
            timeouts: UpstreamTimeouts(
                connect: min(5, timeout), firstByte: timeout, idle: timeout,
                total: timeout))
        // A token endpoint's answer is small: 64 KiB is far more than any holds.
        client.fetch(request, maxBodyBytes: 64 * 1024) { [self] answer in
            finish(refresh, status: answer.head?.status, body: answer.body, error: answer.completion.error)
        }
    }

    private func finish(_ refresh: TokenRefresher.Refresh, status: Int?, body: [UInt8], error: UpstreamError?) {
        let now = clock.now()
        if let error {
            refresher.refreshFailed(refresh, reason: "token endpoint: \(error)", now: now)
            refreshes.failed.add(1, ordering: .relaxed)
        } else if status == 200,
            let fields = try? JSONScanner.scanObject(body, fields: ["access_token", "expires_in"]),
            let token = fields.strings["access_token"], !token.isEmpty,
            let expiresIn = fields.numbers["expires_in"].flatMap(Double.init), expiresIn > 0
        {
            refresher.refreshSucceeded(refresh, value: token, expiresIn: expiresIn, now: now)
            refreshes.succeeded.add(1, ordering: .relaxed)
        } else {
            refresher.refreshFailed(refresh, reason: "token endpoint answered \(status ?? 0)", now: now)
            refreshes.failed.add(1, ordering: .relaxed)
        }
        let actions = waiting.withLock { state -> [@Sendable () -> Void] in
            state.inFlight = false
            defer { state.actions = [] }
            return state.actions
        }
        for action in actions { action() }
    }
}

/// Counts token refreshes for `/metrics`.
final class RefreshCounters: Sendable {
    let succeeded = Atomic<Int>(0)
    let failed = Atomic<Int>(0)
}
