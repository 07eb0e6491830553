public import BallastConfig

/// The simulator's OAuth token issuer (the `oauth` section): one per simulator, shared by
/// every region, as Anthropic's tokens are valid across the organisation, not per region.
///
/// When a simulator has one, every region asks for `Authorization: Bearer <token>` with a
/// token this issuer handed out and that has not expired; the regions' own `api_key` is
/// then ignored. The issuer listens on its own port so that it stays reachable while a
/// region refuses connections, and fails on its own (`TokenIssuerFaults`).
public struct TokenIssuerConfig: Sendable, Equatable {
    /// The `client_id` a token request must present.
    public var clientID: String
    /// The `client_secret` a token request must present. The simulator is a test double, so
    /// its own secret may sit in its config; Ballast's config only ever names where its
    /// secret lives.
    public var clientSecret: String
    /// Lifetime of an issued token in whole seconds: the `expires_in` of every answer, and
    /// the time (by the simulator's clock) after which the regions answer "bearer token expired".
    public var tokenTTL: Int
    /// The token endpoint's own listener; port 0 picks a free port (read it back from
    /// `TokenIssuer.port`).
    public var listen: ListenAddress
    /// The most unexpired tokens kept; when full, the token closest to expiry is forgotten
    /// (a region then calls it invalid), so a client that fetches a token per request cannot
    /// grow the simulator without bound.
    public var maxLiveTokens: Int
    /// The issuer's faults at start; change them at run time with `TokenIssuer.setFaults`.
    public var faults: TokenIssuerFaults

    public init(
        clientID: String = "ballast-test", clientSecret: String = "sim-secret", tokenTTL: Int = 3600,
        listen: ListenAddress = ListenAddress(host: "127.0.0.1", port: 0), maxLiveTokens: Int = 10_000,
        faults: TokenIssuerFaults = TokenIssuerFaults()
    ) {
        self.clientID = clientID
        self.clientSecret = clientSecret
        self.tokenTTL = tokenTTL
        self.listen = listen
        self.maxLiveTokens = maxLiveTokens
        self.faults = faults
    }
}
