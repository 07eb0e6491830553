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
    /// The AWS account the `bedrock` regions check SigV4 signatures against (top-level `aws`).
    public var aws: SimulatedAWSAccount?
    /// The service account the `vertex` regions' token endpoint accepts JWTs from (top-level `gcp`).
    public var gcp: SimulatedServiceAccount?

    public init(
        seed: UInt64 = 1, regions: [SimulatedRegionConfig] = [SimulatedRegionConfig()],
        oauth: TokenIssuerConfig? = nil, rateLimit: RateLimitSettings = RateLimitSettings(),
        aws: SimulatedAWSAccount? = nil, gcp: SimulatedServiceAccount? = nil
    ) {
        self.seed = seed
        self.regions = regions
        self.oauth = oauth
        self.rateLimit = rateLimit.scoped(.organisation)
        self.aws = aws
        self.gcp = gcp
    }
}
