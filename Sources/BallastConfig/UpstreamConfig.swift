/// `upstream`: where requests go and how Ballast talks to it.
public struct UpstreamConfig: Sendable, Equatable {
    /// `anthropic-version` header sent when the client sends none.
    public var anthropicVersion: String
    public var auth: AuthConfig
    public var timeouts: TimeoutsConfig
    public var pool: PoolConfig
    public var retry: RetryConfig
    public var hedge: HedgeConfig
    public var pacing: PacingConfig
    public var concurrency: ConcurrencyConfig
    /// At least one, at least one with weight above 0, names unique.
    public var regions: [RegionConfig]

    public init(
        anthropicVersion: String = UpstreamConfig.defaultAnthropicVersion,
        auth: AuthConfig = AuthConfig(),
        timeouts: TimeoutsConfig = TimeoutsConfig(),
        pool: PoolConfig = PoolConfig(),
        retry: RetryConfig = RetryConfig(),
        hedge: HedgeConfig = HedgeConfig(),
        pacing: PacingConfig = PacingConfig(),
        concurrency: ConcurrencyConfig = ConcurrencyConfig(),
        regions: [RegionConfig]
    ) {
        self.anthropicVersion = anthropicVersion
        self.auth = auth
        self.timeouts = timeouts
        self.pool = pool
        self.retry = retry
        self.hedge = hedge
        self.pacing = pacing
        self.concurrency = concurrency
        self.regions = regions
    }

    public static let defaultAnthropicVersion = "2023-06-01"
}

extension UpstreamConfig {
    /// Reads `upstream`; `root` is where a missing section is reported.
    static func read(_ map: ConfigMapping?, root: ConfigNode, baseDirectory: String?) -> UpstreamConfig {
        var config = UpstreamConfig(regions: [])
        guard let map else {
            root.error("the config needs 'upstream.regions' with at least one region")
            return config
        }
        let path = "upstream"
        if let node = map["anthropic_version"], let text = node.string(what: "'upstream.anthropic_version'") {
            // It becomes a header value: refuse anything that could break the header line.
            let allowed = { (c: Unicode.Scalar) in
                ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) || c == "-" || c == "_" || c == "."
            }
            if !text.isEmpty, text.unicodeScalars.allSatisfy(allowed) {
                config.anthropicVersion = text
            } else {
                node.error("'upstream.anthropic_version' must be a version such as 2023-06-01, not '\(text)'")
            }
        }
        config.auth = AuthConfig.read(map.present("auth"), baseDirectory: baseDirectory)
        config.timeouts = TimeoutsConfig.read(map.section("timeouts", path: "\(path).timeouts", keys: ["connect", "first_byte", "idle", "total"]))
        config.pool = PoolConfig.read(map.section("pool", path: "\(path).pool", keys: ["max_per_host", "max_total", "idle_timeout"]))
        config.retry = RetryConfig.read(map.section("retry", path: "\(path).retry", keys: RetryConfig.keys))
        config.hedge = HedgeConfig.read(map.section("hedge", path: "\(path).hedge", keys: HedgeConfig.keys))
        config.pacing = PacingConfig.read(map.section("pacing", path: "\(path).pacing", keys: PacingConfig.keys))
        config.concurrency = ConcurrencyConfig.read(
            map.section(
                "concurrency", path: "\(path).concurrency",
                keys: ConcurrencyConfig.keys))
        if let regions = map.present("regions") {
            config.regions = RegionConfig.readList(regions)
        } else {
            (map.keyNode("regions") ?? map.owner).error("upstream needs 'regions' with at least one region")
        }
        return config
    }
}
