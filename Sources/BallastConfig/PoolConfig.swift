/// `upstream.pool`: the keep-alive connection pool kept by the upstream client.
public struct PoolConfig: Sendable, Equatable {
    /// Most connections open to one upstream host.
    public var maxPerHost: Int
    /// Most connections open in total.
    public var maxTotal: Int
    /// An idle connection is closed after this long.
    public var idleTimeout: Duration

    public init(maxPerHost: Int = 50, maxTotal: Int = 100, idleTimeout: Duration = .seconds(90)) {
        self.maxPerHost = maxPerHost
        self.maxTotal = maxTotal
        self.idleTimeout = idleTimeout
    }
}

extension PoolConfig {
    static func read(_ map: ConfigMapping?) -> PoolConfig {
        var config = PoolConfig()
        guard let map else { return config }
        let path = "upstream.pool"
        if let value = map.int("max_per_host", in: path, range: 1...Int.max) { config.maxPerHost = value }
        if let value = map.int("max_total", in: path, range: 1...Int.max) { config.maxTotal = value }
        if let value = map.positiveDuration("idle_timeout", in: path) { config.idleTimeout = .seconds(value) }
        if config.maxPerHost > config.maxTotal, let node = map["max_per_host"] ?? map["max_total"] {
            node.error("'\(path).max_per_host' (\(config.maxPerHost)) exceeds 'max_total' (\(config.maxTotal))")
        }
        return config
    }
}
