/// Where to connect and how to authenticate. The password is held here only to send it in
/// `AUTH`; `description` never shows it.
public struct RedisEndpoint: Sendable, CustomStringConvertible {
    public var host: String
    public var port: Int
    public var database: Int
    public var password: String?
    public var connectTimeout: Double
    public var commandTimeout: Double
    /// TLS settings; nil: plain TCP.
    public var tls: RedisTLS?

    public init(
        host: String, port: Int, database: Int = 0, password: String? = nil, connectTimeout: Double = 0.25,
        commandTimeout: Double = 0.25, tls: RedisTLS? = nil
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.password = password
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.tls = tls
    }

    public var description: String { "\(tls == nil ? "redis" : "rediss")://\(host):\(port)/\(database)" }
}
