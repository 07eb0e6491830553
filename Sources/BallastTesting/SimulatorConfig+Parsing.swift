import BallastConfig
import Foundation

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

    public static func load(path: String) throws -> SimulatorConfig {
        let text: String
        do {
            text = try String(contentsOfFile: path, encoding: .utf8)
        } catch {
            throw ConfigError([ConfigIssue(SourceLocation(file: path, line: 1, column: 1),
                                           "cannot read the simulator config: \(error.localizedDescription)")])
        }
        return try parse(text, file: path)
    }
}
