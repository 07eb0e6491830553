/// Everything `ballast serve --config FILE` needs, read from one YAML file.
///
/// Reading never stops at the first mistake: every problem is collected with its
/// file:line:column and thrown together as one `ConfigError`, so a reload that has any error
/// changes nothing and the operator fixes the file in one pass. Secrets are never part of
/// this value, only the names of environment variables and the paths of files holding them.
public struct GatewayConfig: Sendable, Equatable {
    /// The Anthropic-compatible proxy listener.
    public var listen: ListenAddress
    public var admin: AdminConfig
    public var store: StoreConfig
    public var server: ServerConfig
    public var upstream: UpstreamConfig
    public var rules: RulesConfig
    public var cache: CacheConfig
    public var migrations: MigrationsConfig
    /// Redis-backed sharing between instances; empty: this instance runs alone.
    public var shared = SharedConfig()
    /// Client keys with their own limits; empty: no inbound authentication.
    public var clients = ClientsConfig()
    /// What SIGTERM does: readiness first, then the listener, then in-flight requests.
    public var shutdown = ShutdownConfig()
    public var log = LogConfig()
    /// Prices per model (`ballast_cost_usd_total`, `ballast stats`); the shipped example when absent.
    public var pricing = PricingConfig()
    /// Label bounds of the usage metrics.
    public var metrics = MetricsConfig()
    /// OpenTelemetry trace export; off when absent.
    public var tracing = TracingConfig()

    public init(
        listen: ListenAddress = GatewayConfig.defaultListen,
        admin: AdminConfig = AdminConfig(),
        store: StoreConfig = StoreConfig(),
        server: ServerConfig = ServerConfig(),
        upstream: UpstreamConfig,
        rules: RulesConfig = RulesConfig(),
        cache: CacheConfig = CacheConfig(),
        migrations: MigrationsConfig = MigrationsConfig()
    ) {
        self.listen = listen
        self.admin = admin
        self.store = store
        self.server = server
        self.upstream = upstream
        self.rules = rules
        self.cache = cache
        self.migrations = migrations
    }

    public static let defaultListen = ListenAddress(host: "127.0.0.1", port: 8080)

    /// The top-level keys, each a section except `listen`.
    static let topLevelKeys: Set<String> = [
        "listen", "admin", "store", "server", "upstream", "rules", "cache", "migrations", "shared", "clients",
        "shutdown", "log", "pricing", "metrics", "tracing",
    ]
}

extension GatewayConfig {
    /// Reads the config file at `path`. Relative paths inside it are resolved against its
    /// directory. A file that cannot be read is reported at `path:1:1`. `${VAR}` references
    /// are looked up in `environment` (see `EnvironmentSubstitution`).
    public static func load(path: String, environment: [String: String] = [:]) throws(ConfigError) -> GatewayConfig {
        let text = try ConfigFile.read(path: path)
        return try parse(text, file: path, baseDirectory: ConfigPath.directory(of: path), environment: environment)
    }

    /// Parses config text. `file` names the source in messages; relative paths are resolved
    /// against `baseDirectory`, or kept as written when it is nil.
    public static func parse(
        _ text: String, file: String, baseDirectory: String? = nil,
        environment: [String: String] = [:]
    ) throws(ConfigError) -> GatewayConfig {
        try document(text, file: file, baseDirectory: baseDirectory, environment: environment).config
    }

    /// The config and the document it was read from, every `${VAR}` substituted (what
    /// `ballast config check` prints).
    public static func document(
        _ text: String, file: String, baseDirectory: String? = nil,
        environment: [String: String]
    ) throws(ConfigError) -> (config: GatewayConfig, node: ConfigNode) {
        let issues = ConfigIssues()
        let root = ConfigNode.parse(text, file: file, issues: issues)?.substitutingEnvironment(environment)
        let config = root.map { read($0, baseDirectory: baseDirectory) }
        guard let config, let root, issues.isEmpty else { throw sortedError(issues.all) }
        return (config, root)
    }

    static func read(_ root: ConfigNode, baseDirectory: String?) -> GatewayConfig {
        guard let map = root.mapping(what: "the config file", keys: topLevelKeys) else {
            return GatewayConfig(upstream: UpstreamConfig(regions: []))
        }
        var listen = defaultListen
        if let value = map["listen"]?.listenAddress(what: "'listen'") { listen = value }

        let adminMap = map.section("admin", path: "admin", keys: AdminConfig.keys)
        let admin = AdminConfig.read(adminMap)
        if conflict(listen, admin.listen) {
            (adminMap?["listen"] ?? map["listen"] ?? root)
                .error("'admin.listen' (\(admin.listen)) and 'listen' (\(listen)) cannot share a port")
        }
        if let probe = admin.probeListen, let node = adminMap?["probe_listen"] {
            for (name, other) in [("listen", listen), ("admin.listen", admin.listen)] where conflict(probe, other) {
                node.error("'admin.probe_listen' (\(probe)) and '\(name)' (\(other)) cannot share a port")
            }
        }
        let store = StoreConfig.read(map.section("store", path: "store", keys: StoreConfig.keys), baseDirectory: baseDirectory)
        let serverMap = map.section("server", path: "server", keys: ServerConfig.keys)
        let server = ServerConfig.read(serverMap)
        let upstream = UpstreamConfig.read(
            map.section(
                "upstream", path: "upstream",
                keys: [
                    "anthropic_version", "auth", "timeouts", "pool", "retry", "hedge", "pacing",
                    "concurrency", "regions",
                ]),
            root: map.keyNode("upstream") ?? root,
            baseDirectory: baseDirectory
        )
        let rules = RulesConfig.read(map.section("rules", path: "rules", keys: ["paths"]), baseDirectory: baseDirectory)
        let cache = CacheConfig.read(map.section("cache", path: "cache", keys: CacheConfig.keys))
        let migrations = MigrationsConfig.read(map.section("migrations", path: "migrations", keys: MigrationsConfig.keys))
        var config = GatewayConfig(
            listen: listen, admin: admin, store: store, server: server, upstream: upstream, rules: rules,
            cache: cache, migrations: migrations)
        config.shared = SharedConfig.read(
            map.section("shared", path: "shared", keys: SharedConfig.keys),
            baseDirectory: baseDirectory)
        config.clients = ClientsConfig.read(map.section("clients", path: "clients", keys: ClientsConfig.keys))
        let drainNode = serverMap?["drain_timeout"]
        config.shutdown = ShutdownConfig.read(
            map.section("shutdown", path: "shutdown", keys: ShutdownConfig.keys),
            drainTimeout: drainNode != nil ? server.drainTimeout : nil, drainNode: drainNode)
        config.log = LogConfig.read(map.section("log", path: "log", keys: LogConfig.keys))
        config.pricing = PricingConfig.read(map.present("pricing"))
        config.metrics = MetricsConfig.read(map.section("metrics", path: "metrics", keys: MetricsConfig.keys))
        config.tracing = TracingConfig.read(map.section("tracing", path: "tracing", keys: TracingConfig.keys))
        checkExposure(config, map: map, root: root, adminMap: adminMap)
        return config
    }

    /// True when binding both addresses would fail: same fixed port on the same host or on
    /// a wildcard host. Port 0 (pick any free port) never conflicts.
    static func conflict(_ a: ListenAddress, _ b: ListenAddress) -> Bool {
        guard a.port == b.port, a.port != 0 else { return false }
        let wildcards: Set<String> = ["0.0.0.0", "::"]
        return a.host == b.host || wildcards.contains(a.host) || wildcards.contains(b.host)
    }

    /// The issues in file order, so the list reads top to bottom like the file.
    static func sortedError(_ issues: [ConfigIssue]) -> ConfigError {
        let sorted = issues.enumerated().sorted { a, b in
            let left = (a.element.location.line, a.element.location.column, a.offset)
            let right = (b.element.location.line, b.element.location.column, b.offset)
            return left < right
        }
        return ConfigError(sorted.map(\.element))
    }
}
