/// `server`: the proxy listener's own limits.
public struct ServerConfig: Sendable, Equatable {
    /// libmicrohttpd polling threads for the proxy listener, 1...64.
    public var threads: Int
    /// Largest request body accepted, in bytes; larger requests get 413 before any upstream call.
    public var maxBodyBytes: Int
    /// The time in-flight requests get to finish after SIGTERM; 0 stops at once.
    public var drainTimeout: Duration
    /// How long a request's headers may take to arrive before the connection is closed.
    public var headerTimeout: Duration = .seconds(10)
    /// How long a request body may go without a byte before the connection is closed.
    public var bodyIdleTimeout: Duration = .seconds(30)
    /// Deepest nesting of objects and arrays accepted in a Messages body.
    public var maxJSONDepth: Int = 128
    /// Bytes an upstream `text/event-stream` answer may carry without completing an event.
    public var maxSSEEventBytes: Int = 64 * 1024
    /// Bytes of a relayed stream Ballast queues for a client that reads slower than the
    /// upstream writes; beyond them the upstream transfer pauses (back-pressure).
    public var streamBufferBytes: Int = 256 * 1024

    public static let keys: Set<String> = [
        "threads", "max_body", "drain_timeout", "header_timeout", "body_idle_timeout",
        "max_json_depth", "max_sse_event_bytes", "stream_buffer",
    ]

    public init(threads: Int = 2, maxBodyBytes: Int = 32_000_000, drainTimeout: Duration = .seconds(30)) {
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
        if let value = map["drain_timeout"]?.duration(what: "'server.drain_timeout'") { config.drainTimeout = .seconds(value) }
        for (key, keyPath) in [("header_timeout", \ServerConfig.headerTimeout), ("body_idle_timeout", \ServerConfig.bodyIdleTimeout)] {
            guard let node = map[key], let value = node.duration(what: "'server.\(key)'") else { continue }
            if value > 0 { config[keyPath: keyPath] = .seconds(value) } else { node.error("'server.\(key)' must be greater than 0") }
        }
        if let value = map.int("max_json_depth", in: "server", range: 2...10_000) { config.maxJSONDepth = value }
        if let node = map["max_sse_event_bytes"], let bytes = node.byteSize(what: "'server.max_sse_event_bytes'") {
            if bytes >= 1024 { config.maxSSEEventBytes = bytes } else { node.error("'server.max_sse_event_bytes' must be at least 1 KiB") }
        }
        if let node = map["stream_buffer"], let bytes = node.byteSize(what: "'server.stream_buffer'") {
            if bytes >= 1024 { config.streamBufferBytes = bytes } else { node.error("'server.stream_buffer' must be at least 1 KiB") }
        }
        return config
    }
}
