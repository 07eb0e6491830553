import BallastCore
import Dispatch
import HTTPServer
import Synchronization

/// The request handler of the token issuer: `POST /v1/oauth/token` (the client-credentials
/// grant, with the issuer's faults) and the `/_sim/oauth` control endpoints.
final class TokenIssuerEngine: HTTPHandler, Sendable {
    let config: TokenIssuerConfig
    let clock: any TimeSource
    let tokens: IssuedTokenStore
    private let faultState: Mutex<TokenIssuerFaults>
    private let counters = Mutex(TokenIssuerStats())
    /// Runs delayed answers without holding a server thread.
    private let queue = DispatchQueue(label: "ballast.simulator.oauth", attributes: .concurrent)

    init(config: TokenIssuerConfig, tokens: IssuedTokenStore, clock: any TimeSource) {
        self.config = config
        self.tokens = tokens
        self.clock = clock
        faultState = Mutex(config.faults)
    }

    var faults: TokenIssuerFaults { faultState.withLock { $0 } }

    func setFaults(_ faults: TokenIssuerFaults) {
        faultState.withLock { $0 = faults }
    }

    func updateFaults(_ change: (inout TokenIssuerFaults) -> Void) {
        faultState.withLock { change(&$0) }
    }

    var stats: TokenIssuerStats {
        var snapshot = counters.withLock { $0 }
        let counts = tokens.counts(now: clock.now())
        snapshot.tokensIssued = counts.issued
        snapshot.liveTokens = counts.live
        snapshot.rejectedExpired = counts.expired
        snapshot.rejectedInvalid = counts.invalid
        return snapshot
    }

    /// Mints a token as a successful grant would, without HTTP.
    func issue() -> String {
        tokens.issue(now: clock.now(), ttl: Double(config.tokenTTL))
    }

    // MARK: Routing

    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        if request.path.hasPrefix("/_sim/") {
            control(request, responder)
            return
        }
        counters.withLock { $0.requests += 1 }
        guard request.path == "/v1/oauth/token" else {
            send(responder, TokenEndpointError(status: 404, code: "not_found", description: "no such endpoint: \(request.path)"))
            return
        }
        let faults = self.faults
        let answer: @Sendable () -> Void = { self.answer(request, faults: faults, responder) }
        if faults.delay > 0 {
            queue.asyncAfter(deadline: .now() + faults.delay, execute: answer)
        } else {
            answer()
        }
    }

    /// Down, then method, body, client authentication, grant type; else a new token, issued
    /// now (after any delay), so `expires_in` counts from the answer.
    private func answer(_ request: HTTPRequest, faults: TokenIssuerFaults, _ responder: HTTPResponder) {
        if faults.down {
            send(
                responder,
                TokenEndpointError(
                    status: 503, code: "temporarily_unavailable",
                    description: "the simulated token endpoint is down"))
            return
        }
        guard request.method == "POST" else {
            var error = TokenEndpointError.invalidRequest("use POST for the token endpoint, not \(request.method)")
            error.status = 405
            send(responder, error, extraHeaders: ["allow": "POST"])
            return
        }
        let grant: TokenGrantRequest
        switch TokenGrantRequest.parse(request) {
        case .failure(let error):
            send(responder, error)
            return
        case .success(let value):
            grant = value
        }
        guard let clientID = grant.clientID, let secret = grant.clientSecret else {
            send(responder, .invalidClient("client_id and client_secret are required (in the body or as HTTP Basic auth)"))
            return
        }
        guard clientID == config.clientID, secret == config.clientSecret else {
            send(responder, .invalidClient("unknown client or wrong client secret"))
            return
        }
        guard let grantType = grant.grantType else {
            send(responder, .invalidRequest("grant_type is required"))
            return
        }
        guard grantType == "client_credentials" else {
            send(
                responder,
                TokenEndpointError(
                    status: 400, code: "unsupported_grant_type",
                    description: "only client_credentials is supported, not '\(grantType)'"))
            return
        }
        let token = issue()
        let body = #"{"access_token":"\#(token)","token_type":"Bearer","expires_in":\#(config.tokenTTL)}"#
        respond(responder, status: 200, json: body)
    }

    private func send(_ responder: HTTPResponder, _ error: TokenEndpointError, extraHeaders: HTTPHeaders = [:]) {
        var headers = extraHeaders
        // RFC 6749 §5.2: a 401 names the authentication scheme the client should use.
        if error.status == 401 { headers.set("www-authenticate", #"Basic realm="ballast-simulator""#) }
        respond(responder, status: error.status, json: error.jsonBody, headers: headers)
    }

    private func respond(_ responder: HTTPResponder, status: Int, json: String, headers: HTTPHeaders = [:]) {
        var headers = headers
        // RFC 6749 §5.1: token responses must not be cached.
        headers.set("cache-control", "no-store")
        headers.set("pragma", "no-cache")
        counters.withLock { s in
            s.responsesByStatus[status, default: 0] += 1
            if status >= 400 { s.failures += 1 }
        }
        responder.respond(.json(status, json, headers: headers))
    }

    // MARK: Control

    /// `GET`/`PUT /_sim/oauth` (the faults) and `GET /_sim/oauth/stats`: not counted and never
    /// subject to the faults, so a test can always heal the issuer over HTTP.
    private func control(_ request: HTTPRequest, _ responder: HTTPResponder) {
        switch (request.method, request.path) {
        case ("GET", "/_sim/oauth"):
            responder.respond(.json(200, faults.json))
        case ("PUT", "/_sim/oauth"):
            do {
                let faults = try TokenIssuerFaults.parse(String(decoding: request.body, as: UTF8.self), file: "PUT /_sim/oauth")
                setFaults(faults)
                responder.respond(.json(200, faults.json))
            } catch {
                responder.respond(.json(400, AnthropicError(.invalidRequest, "\(error)").jsonBody))
            }
        case ("GET", "/_sim/oauth/stats"):
            responder.respond(.json(200, stats.json))
        case (_, "/_sim/oauth"), (_, "/_sim/oauth/stats"):
            let error = AnthropicError(.invalidRequest, "Method \(request.method) is not allowed on \(request.path)", status: 405)
            responder.respond(.json(405, error.jsonBody))
        default:
            responder.respond(.json(404, AnthropicError(.notFound, "Not Found").jsonBody))
        }
    }
}
