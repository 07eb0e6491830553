/// `server`: the proxy listener's own limits.
public struct ServerConfig: Sendable, Equatable {
    /// libmicrohttpd polling threads for the proxy listener, 1...64.
    public var threads: Int
    /// Largest request body accepted, in bytes; larger requests get 413 before any upstream call.
    public var maxBodyBytes: Int
    /// Seconds that in-flight requests get to finish after SIGTERM; 0 stops at once.
    public var drainTimeout: Double

    public init(threads: Int = 2, maxBodyBytes: Int = 32_000_000, drainTimeout: Double = 30) {
        self.threads = threads
        self.maxBodyBytes = maxBodyBytes
        self.drainTimeout = drainTimeout
    }
}

extension ServerConfig {
    static func read(_ map: ConfigMapping?) -> ServerConfig {
        var config = ServerConfig()
        guard let map else { return config }
        if let value = map.int("threads", in: "server", range: 1...64) { config.threads = value }
        if let node = map["max_body"], let bytes = node.byteSize(what: "'server.max_body'") {
            if bytes > 0 { config.maxBodyBytes = bytes } else { node.error("'server.max_body' must be greater than 0") }
        }
        if let value = map["drain_timeout"]?.duration(what: "'server.drain_timeout'") { config.drainTimeout = value }
        return config
    }
}
