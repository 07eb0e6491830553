/// `cache`: answers kept for identical requests that opt in, and coalescing of identical
/// concurrent requests into one upstream call.
public struct CacheConfig: Sendable, Equatable {
    public var enabled: Bool
    public var maxEntries: Int
    public var maxBytes: Int
    /// TTL for requests that send `x-ballast-cache: ttl=N` without N, and the longest allowed.
    public var defaultTTL: Duration
    public var maxTTL: Duration
    /// When above 0, requests with `"temperature": 0` are cached for this long without opting in.
    public var temperatureZeroTTL: Duration

    public init(
        enabled: Bool = true, maxEntries: Int = 10_000, maxBytes: Int = 64_000_000, defaultTTL: Duration = .seconds(600),
        maxTTL: Duration = .seconds(86_400), temperatureZeroTTL: Duration = .seconds(0)
    ) {
        self.enabled = enabled
        self.maxEntries = maxEntries
        self.maxBytes = maxBytes
        self.defaultTTL = defaultTTL
        self.maxTTL = maxTTL
        self.temperatureZeroTTL = temperatureZeroTTL
    }
}

extension CacheConfig {
    static let keys: Set<String> = ["enabled", "max_entries", "max_bytes", "default_ttl", "max_ttl", "temperature_zero_ttl"]

    static func read(_ map: ConfigMapping?) -> CacheConfig {
        var config = CacheConfig()
        guard let map else { return config }
        let path = "cache"
        if let value = map.bool("enabled") { config.enabled = value }
        if let value = map.int("max_entries", in: path, range: 1...10_000_000) { config.maxEntries = value }
        if let node = map["max_bytes"], let value = node.byteSize(what: "'\(path).max_bytes'") { config.maxBytes = value }
        if let value = map.positiveDuration("default_ttl", in: path) { config.defaultTTL = .seconds(value) }
        if let value = map.positiveDuration("max_ttl", in: path) { config.maxTTL = .seconds(value) }
        if let value = map.duration("temperature_zero_ttl") { config.temperatureZeroTTL = .seconds(value) }
        return config
    }
}
