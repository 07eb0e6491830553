/// An upstream region: one base URL that serves the Anthropic API, and its share of traffic.
public struct Region: Sendable, Hashable {
    public var name: String
    /// Scheme, host and port without a trailing slash, e.g. `https://api.anthropic.com`.
    public var baseURL: String
    /// Relative share of normal traffic; 0 makes the region a standby that only takes
    /// retries and failover.
    public var weight: Int
    /// The regions whose requests count against the same rate limits: the API limits an
    /// organisation (a credential) per model class, not a region, so by default every region
    /// that uses Ballast's credential is in one group.
    public var limitGroup: String

    public init(name: String, baseURL: String, weight: Int, limitGroup: String = Region.credentialLimitGroup) {
        self.name = name
        self.baseURL = baseURL
        self.weight = weight
        self.limitGroup = limitGroup
    }

    /// The limit group of regions that say none: the credential they share.
    public static let credentialLimitGroup = "credential"

    public var isStandby: Bool { weight == 0 }
}
