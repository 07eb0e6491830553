import BallastCore
import HTTPServer
import BallastConfig

/// The simulator's OAuth token endpoint (client-credentials grant), on its own port, and the
/// tokens it has issued, which every region of the simulator checks.
///
/// ```swift
/// let issuer = try #require(simulator.tokenIssuer)
/// print(issuer.tokenURL)                          // http://127.0.0.1:PORT/v1/oauth/token
/// issuer.setDown(true)                            // token requests get 503
/// issuer.setDelay(seconds: 2)                     // … answered 2 s late
/// print(issuer.stats.tokensIssued)
/// ```
public final class TokenIssuer: Sendable {
    public let config: TokenIssuerConfig
    let engine: TokenIssuerEngine
    let server: HTTPServer

    init(config: TokenIssuerConfig, seed: UInt64, clock: any TimeSource) {
        self.config = config
        // The tokens' check value depends on the seed and the secret, so a token from another
        // simulator config is invalid here even with the same shape.
        var key = StableHash()
        key.feed(seed)
        key.feed(config.clientSecret)
        let tokens = IssuedTokenStore(capacity: config.maxLiveTokens, key: key.value)
        engine = TokenIssuerEngine(config: config, tokens: tokens, clock: clock)
        server = HTTPServer(
            configuration: HTTPServerConfiguration(
                host: config.listen.host, port: config.listen.port,
                threads: 1),
            handler: engine)
    }

    /// The tokens the regions check.
    var tokens: IssuedTokenStore { engine.tokens }

    /// The bound port (the real one when the config said 0); 0 before `Simulator.start()`.
    public var port: UInt16 { server.port }

    /// `http://127.0.0.1:PORT`: the issuer's own server, where `/_sim/oauth` lives.
    public var baseURL: String { "http://\(server.address)" }

    /// `baseURL` + `/v1/oauth/token`: what an OAuth client (Ballast's `upstream.auth.token_url`)
    /// posts its client credentials to.
    public var tokenURL: String { baseURL + "/v1/oauth/token" }

    public var faults: TokenIssuerFaults { engine.faults }

    /// Replaces the issuer's faults; the next token request sees them.
    public func setFaults(_ faults: TokenIssuerFaults) { engine.setFaults(faults) }

    /// Down: every token request gets 503 (`delay` is kept).
    public func setDown(_ down: Bool) { engine.updateFaults { $0.down = down } }

    /// Real seconds before each token answer (`down` is kept); 0 answers at once.
    public func setDelay(seconds: Double) { engine.updateFaults { $0.delay = max(0, seconds.isFinite ? seconds : 0) } }

    public var stats: TokenIssuerStats { engine.stats }

    /// A valid token, minted without HTTP (counted as issued), for tests that need one
    /// quickly or want to present it themselves.
    public func issueToken() -> String { engine.issue() }

    /// Forgets every issued token: the regions answer "invalid bearer token" to each, as after
    /// a credential rotation, until the client fetches a new one.
    public func revokeAllTokens() { tokens.revokeAll() }

    func start() throws { try server.start() }

    func stop() { server.stop(gracePeriod: 0) }
}
