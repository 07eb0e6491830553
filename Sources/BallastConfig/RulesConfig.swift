/// `rules`: where the rule files are. Entries may be globs, expanded when rules are loaded,
/// so adding a file needs a reload, not a config change.
public struct RulesConfig: Sendable, Equatable {
    /// Files or glob patterns, resolved against the config file's directory.
    public var paths: [String]

    public init(paths: [String] = ["rules/*.yaml"]) {
        self.paths = paths
    }
}

extension RulesConfig {
    static func read(_ map: ConfigMapping?, baseDirectory: String?) -> RulesConfig {
        var paths = RulesConfig().paths
        if let node = map?["paths"] {
            if node.isNull {
                paths = []
            } else if let list = node.strings(what: "'rules.paths'") {
                paths = list.filter { !$0.isEmpty }
                if paths.count != list.count { node.error("'rules.paths' must not contain empty entries") }
            }
        }
        return RulesConfig(paths: paths.map { ConfigPath.resolve($0, against: baseDirectory) })
    }
}
