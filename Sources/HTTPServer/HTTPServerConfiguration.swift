import BallastCore
/// How an `HTTPServer` listens and what it allows.
public struct HTTPServerConfiguration: Sendable {
    /// An IPv4 or IPv6 literal. Loopback by default: exposing a listener is a decision.
    public var host: String
    /// 0 picks a free port; read it back from `HTTPServer.port`.
    public var port: UInt16
    /// Polling threads (epoll each). Connections waiting on slow work are suspended, so a
    /// few threads serve thousands of them.
    public var threads: Int
    /// Largest request body kept; larger bodies are read, discarded and flagged.
    public var maxBodyBytes: Int
    /// Seconds an idle connection is kept open (suspended connections are not counted).
    public var idleConnectionTimeout: Int
    public var connectionLimit: Int
    /// Bytes handed to the socket per read of a streaming response.
    public var streamBlockSize: Int
    /// Seconds a request's headers may take to arrive, from the connection's opening (or the
    /// request line, on a kept-alive connection); the connection is closed after that.
    public var headerTimeout: Double = 10
    /// Seconds a request body may go without a byte before the connection is closed.
    public var bodyIdleTimeout: Double = 30

    public init(
        host: String = "127.0.0.1", port: UInt16 = 0, threads: Int = 2,
        maxBodyBytes: Int = 32 * 1024 * 1024, idleConnectionTimeout: Int = 120,
        connectionLimit: Int = 10_000, streamBlockSize: Int = 32 * 1024
    ) {
        self.host = host
        self.port = port
        self.threads = threads
        self.maxBodyBytes = maxBodyBytes
        self.idleConnectionTimeout = idleConnectionTimeout
        self.connectionLimit = connectionLimit
        self.streamBlockSize = streamBlockSize
    }
}
