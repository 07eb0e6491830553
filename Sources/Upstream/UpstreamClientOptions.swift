/// Connection-pool settings of an `UpstreamClient`.
public struct UpstreamClientOptions: Sendable, Equatable {
    /// Connections open at once to one host; more calls wait inside libcurl (or share an
    /// HTTP/2 connection).
    public var maxConnectionsPerHost: Int
    /// Connections open at once overall, and kept idle in the pool.
    public var maxConnections: Int
    /// Seconds an idle pooled connection is kept before it is closed.
    public var idleConnectionTimeout: Double
    /// Ask for HTTP/2 on TLS connections (plain http stays HTTP/1.1).
    public var http2: Bool

    public init(
        maxConnectionsPerHost: Int = 50, maxConnections: Int = 100, idleConnectionTimeout: Double = 90,
        http2: Bool = true
    ) {
        self.maxConnectionsPerHost = maxConnectionsPerHost
        self.maxConnections = maxConnections
        self.idleConnectionTimeout = idleConnectionTimeout
        self.http2 = http2
    }
}
