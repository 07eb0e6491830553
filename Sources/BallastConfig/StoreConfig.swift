/// `store`: the SQLite file holding telemetry, controller state and the audit log.
public struct StoreConfig: Sendable, Equatable {
    /// Resolved against the config file's directory; `:memory:` keeps nothing on disk.
    public var path: String
    /// How long raw request rows and per-second rollups are kept.
    public var rawRetention: Duration
    /// How long per-minute rollups (and the audit trail) are kept.
    public var rollupRetention: Duration
    /// Record requests in the store. Off only to measure what recording costs: the rules
    /// then see no traffic.
    public var recordRequests: Bool

    public init(
        path: String = "./ballast.db", rawRetention: Duration = .seconds(86_400), rollupRetention: Duration = .seconds(30 * 86_400),
        recordRequests: Bool = true
    ) {
        self.path = path
        self.rawRetention = rawRetention
        self.rollupRetention = rollupRetention
        self.recordRequests = recordRequests
    }
}

extension StoreConfig {
    static let keys: Set<String> = ["path", "raw_retention", "rollup_retention", "record_requests"]

    static func read(_ map: ConfigMapping?, baseDirectory: String?) -> StoreConfig {
        var config = StoreConfig()
        if let node = map?["path"], let text = node.string(what: "'store.path'") {
            if text.isEmpty { node.error("'store.path' must not be empty") } else { config.path = text }
        }
        config.path = ConfigPath.resolve(config.path, against: baseDirectory)
        if let value = map?.positiveDuration("raw_retention", in: "store") { config.rawRetention = .seconds(value) }
        if let value = map?.positiveDuration("rollup_retention", in: "store") { config.rollupRetention = .seconds(value) }
        if let value = map?.bool("record_requests") { config.recordRequests = value }
        if config.rollupRetention < config.rawRetention, let node = map?["rollup_retention"] {
            node.error("'store.rollup_retention' must not be shorter than 'raw_retention'")
        }
        return config
    }
}
