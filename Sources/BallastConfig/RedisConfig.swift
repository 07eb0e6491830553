import Yams

/// `shared.redis`: where the shared state lives. The password comes from an environment
/// variable named here, never from the file.
public struct RedisConfig: Sendable, Equatable {
    public var host: String
    public var port: Int
    /// The database number from the URL's path (`redis://host:6379/2`).
    public var database: Int
    /// Every key Ballast writes starts with this, so instances of one deployment share and
    /// others do not.
    public var keyPrefix: String
    /// The environment variable holding the password (`AUTH`); nil: none.
    public var passwordEnv: String?
    /// The share of the organisation's rate limit one instance uses while Redis is out of
    /// reach (0 to 1).
    public var localShare: Double
    public var connectTimeout: Duration
    public var commandTimeout: Duration
    /// Cached answers larger than this stay local.
    public var maxValueBytes: Int
    /// How long a shared-cache lock holds when its holder disappears.
    public var lockTimeout: Duration
    /// Heartbeat period; an instance unseen for three periods is gone.
    public var heartbeat: Duration
    /// TLS to Redis (`rediss://` or a `tls` section); nil: plain TCP.
    public var tls: RedisTLSConfig?

    public init(
        host: String = "127.0.0.1", port: Int = 6379, database: Int = 0, keyPrefix: String = "ballast:",
        passwordEnv: String? = nil, localShare: Double = 0.34, connectTimeout: Duration = .seconds(0.25),
        commandTimeout: Duration = .seconds(0.25), maxValueBytes: Int = 1_048_576, lockTimeout: Duration = .seconds(30),
        heartbeat: Duration = .seconds(1), tls: RedisTLSConfig? = nil
    ) {
        self.host = host
        self.port = port
        self.database = database
        self.keyPrefix = keyPrefix
        self.passwordEnv = passwordEnv
        self.localShare = localShare
        self.connectTimeout = connectTimeout
        self.commandTimeout = commandTimeout
        self.maxValueBytes = maxValueBytes
        self.lockTimeout = lockTimeout
        self.heartbeat = heartbeat
        self.tls = tls
    }

    static let keys: Set<String> = [
        "url", "key_prefix", "password_env", "tls", "local_share", "connect_timeout",
        "command_timeout", "max_value", "lock_timeout", "heartbeat",
    ]
}

extension RedisConfig {
    static func read(_ map: ConfigMapping, baseDirectory: String? = nil) -> RedisConfig {
        var config = RedisConfig()
        let path = "shared.redis"
        if let node = map.require("url"), let text = node.string(what: "'\(path).url'") {
            if let (host, port, database, secure) = parseURL(text) {
                config.host = host
                config.port = port
                config.database = database
                if secure { config.tls = RedisTLSConfig() }
            } else {
                node.error(
                    "'\(path).url' must look like redis://HOST:PORT or redis://HOST:PORT/DB (rediss:// for TLS), "
                        + "not '\(text)' (a password goes in the variable named by password_env, not in the URL)")
            }
        }
        if let node = map["tls"] {
            if case .mapping = node.node {
                if let section = node.mapping(what: "'\(path).tls'", keys: RedisTLSConfig.keys) {
                    config.tls = RedisTLSConfig.read(section, path: path + ".tls", baseDirectory: baseDirectory)
                }
            } else if let on = node.bool(what: "'\(path).tls'") {
                if on {
                    config.tls = config.tls ?? RedisTLSConfig()
                } else if config.tls != nil {
                    node.error("'\(path).tls: false' contradicts the rediss:// url")
                }
            }
        }
        if let node = map["key_prefix"], let prefix = node.string(what: "'\(path).key_prefix'") {
            if prefix.isEmpty || prefix.contains(where: { $0 == " " || $0 == "\n" }) {
                node.error("'\(path).key_prefix' must be a non-empty word such as 'ballast:'")
            } else {
                config.keyPrefix = prefix
            }
        }
        if let node = map["password_env"] { config.passwordEnv = node.environmentVariableName(what: "'\(path).password_env'") }
        if let node = map["local_share"], let share = node.ratio(what: "'\(path).local_share'") {
            if share > 0 { config.localShare = share } else { node.error("'\(path).local_share' must be greater than 0") }
        }
        if let value = map.positiveDuration("connect_timeout", in: path) { config.connectTimeout = .seconds(value) }
        if let value = map.positiveDuration("command_timeout", in: path) { config.commandTimeout = .seconds(value) }
        if let node = map["max_value"], let value = node.byteSize(what: "'\(path).max_value'") { config.maxValueBytes = value }
        if let value = map.positiveDuration("lock_timeout", in: path) { config.lockTimeout = .seconds(value) }
        if let value = map.positiveDuration("heartbeat", in: path) { config.heartbeat = .seconds(value) }
        return config
    }

    /// `redis://HOST[:PORT][/DB]` or `rediss://...` (TLS: the last value); nil for anything
    /// else (userinfo included: no secrets in URLs).
    static func parseURL(_ text: String) -> (String, Int, Int, Bool)? {
        let secure = text.hasPrefix("rediss://")
        guard secure || text.hasPrefix("redis://") else { return nil }
        var rest = Substring(text.dropFirst(secure ? "rediss://".count : "redis://".count))
        var database = 0
        if let slash = rest.firstIndex(of: "/") {
            let db = rest[rest.index(after: slash)...]
            if !db.isEmpty {
                guard let number = Int(db), number >= 0 else { return nil }
                database = number
            }
            rest = rest[..<slash]
        }
        guard !rest.isEmpty, !rest.contains("@") else { return nil }
        var host = String(rest)
        var port = 6379
        if let colon = rest.lastIndex(of: ":") {
            guard let number = Int(rest[rest.index(after: colon)...]), (1...65535).contains(number) else { return nil }
            port = number
            host = String(rest[..<colon])
        }
        guard !host.isEmpty else { return nil }
        return (host, port, database, secure)
    }
}
