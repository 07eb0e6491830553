/// Everything a `Simulator` runs: the seed that makes it reproducible, its regions and,
/// optionally, the OAuth token issuer they all trust.
///
/// Read from YAML with `parse(_:file:)` / `load(path:)`, or built in code with the
/// memberwise initialisers, whose defaults give a fast, fault-free upstream.
public struct SimulatorConfig: Sendable, Equatable {
    /// Seeds every region's random stream (mixed with the region's index).
    public var seed: UInt64
    public var regions: [SimulatedRegionConfig]
    /// When set, the simulator runs a token endpoint and every region asks for its tokens
    /// (`Authorization: Bearer`) instead of an API key.
    public var oauth: TokenIssuerConfig?
    /// The organisation's rate limits (top-level `rate_limit`): one set of buckets per
    /// credential, shared by every region that has no limits of its own or whose own limits
    /// are in the organisation scope. Unlimited by default.
    public var rateLimit: RateLimitSettings

    public init(seed: UInt64 = 1, regions: [SimulatedRegionConfig] = [SimulatedRegionConfig()],
                oauth: TokenIssuerConfig? = nil, rateLimit: RateLimitSettings = RateLimitSettings()) {
        self.seed = seed
        self.regions = regions
        self.oauth = oauth
        self.rateLimit = rateLimit.scoped(.organisation)
    }
}
