/// What can go wrong with the token endpoint itself, so a test can play "the auth server is
/// down (or slow) just when the token expires".
///
/// Only `POST /v1/oauth/token` suffers these; tokens already issued stay valid at the regions,
/// and the `/_sim/oauth` control endpoints always answer.
public struct TokenIssuerFaults: Sendable, Equatable {
    /// Every token request gets 503 `temporarily_unavailable`.
    public var down: Bool
    /// Seconds of real time before each token answer (also before a 503), as a slow
    /// authorization server behaves; a client's timeout is real time too.
    public var delay: Double

    public init(down: Bool = false, delay: Double = 0) {
        self.down = down
        self.delay = delay
    }
}
