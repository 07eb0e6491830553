/// An upstream region: one base URL that serves the Anthropic API, and its share of traffic.
public struct Region: Sendable, Hashable {
    public var name: String
    /// Scheme, host and port without a trailing slash, e.g. `https://api.anthropic.com`.
    public var baseURL: String
    /// Relative share of normal traffic; 0 makes the region a standby that only takes
    /// retries and failover.
    public var weight: Int

    public init(name: String, baseURL: String, weight: Int) {
        self.name = name
        self.baseURL = baseURL
        self.weight = weight
    }

    public var isStandby: Bool { weight == 0 }
}
