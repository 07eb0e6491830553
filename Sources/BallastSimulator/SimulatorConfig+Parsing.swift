import BallastConfig

extension SimulatorConfig {
    /// Parses a simulator config; throws a `ConfigError` listing every problem with its
    /// file:line:column.
    public static func parse(_ text: String, file: String = "simulator.yaml") throws -> SimulatorConfig {
        let issues = ConfigIssues()
        guard let root = ConfigNode.parse(text, file: file, issues: issues) else { throw issues.error }
        let config = SimulatorConfigReader.config(root)
        try issues.throwIfAny()
        return config
    }

    /// Reads the file like Ballast's own config: a regular file of at most 1 MiB.
    public static func load(path: String) throws -> SimulatorConfig {
        try parse(try ConfigFile.read(path: path), file: path)
    }
}
