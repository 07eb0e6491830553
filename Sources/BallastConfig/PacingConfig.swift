/// `upstream.pacing`: sending at the rate the upstream allows instead of into 429s.
public struct PacingConfig: Sendable, Equatable {
    public var enabled: Bool
    /// Requests waiting for allowance at most, per region and model; more get Ballast's 429.
    public var maxWaiting: Int
    /// The longest a request waits for allowance.
    public var maxWait: Duration

    public init(enabled: Bool = true, maxWaiting: Int = 1000, maxWait: Duration = .seconds(10)) {
        self.enabled = enabled
        self.maxWaiting = maxWaiting
        self.maxWait = maxWait
    }
}

extension PacingConfig {
    static let keys: Set<String> = ["enabled", "max_waiting", "max_wait"]

    static func read(_ map: ConfigMapping?) -> PacingConfig {
        var config = PacingConfig()
        guard let map else { return config }
        let path = "upstream.pacing"
        if let value = map.bool("enabled") { config.enabled = value }
        if let value = map.int("max_waiting", in: path, range: 0...1_000_000) { config.maxWaiting = value }
        if let value = map.positiveDuration("max_wait", in: path) { config.maxWait = .seconds(value) }
        return config
    }
}
