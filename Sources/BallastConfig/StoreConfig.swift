/// `store`: the SQLite file holding telemetry, controller state and the audit log.
public struct StoreConfig: Sendable, Equatable {
    /// Resolved against the config file's directory; `:memory:` keeps nothing on disk.
    public var path: String

    public init(path: String = "./ballast.db") {
        self.path = path
    }
}

extension StoreConfig {
    static func read(_ map: ConfigMapping?, baseDirectory: String?) -> StoreConfig {
        var path = StoreConfig().path
        if let node = map?["path"], let text = node.string(what: "'store.path'") {
            if text.isEmpty { node.error("'store.path' must not be empty") } else { path = text }
        }
        return StoreConfig(path: ConfigPath.resolve(path, against: baseDirectory))
    }
}
