import ArgumentParser
import BallastConfig
import Foundation
import Rules

/// `ballast config check --config FILE`: everything `serve` would refuse in the file and in
/// the rule files it names, found without starting anything, so a deployment pipeline (or a
/// ConfigMap's CI) fails before a pod does.
struct ConfigCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "config",
        abstract: "Check a config file (see docs/configuration.md).",
        subcommands: [Check.self])

    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Print every problem as FILE:LINE:COLUMN: MESSAGE and exit 1, or print the config with every ${VAR} "
                + "substituted and secrets redacted, and exit 0.")

        @Option(name: .long, help: "The config file, as given to `ballast serve --config`.")
        var config: String

        func run() throws {
            let environment = ProcessInfo.processInfo.environment
            let checked: (config: GatewayConfig, node: ConfigNode)
            do {
                let text = try ConfigFile.read(path: config)
                checked = try GatewayConfig.document(
                    text, file: config, baseDirectory: ConfigPath.directory(of: config),
                    environment: environment)
            } catch {
                throw Self.failure(error.issues)
            }
            // The rule files are part of what `serve` loads: a config whose rules do not load
            // does not start either.
            var issues: [ConfigIssue] = []
            let ruleFiles = RuleFiles.expand(checked.config.rules.paths)
            if !ruleFiles.isEmpty, case .failure(let error) = RuleSet.load(paths: ruleFiles, context: RuleContext(config: checked.config)) {
                issues = error.issues
            }
            if !issues.isEmpty { throw Self.failure(issues) }
            var text =
                "# \(config): valid. Every ${VAR} substituted, secrets redacted; a key not shown takes its default "
                + "(docs/configuration.md).\n"
            text += "# rule files: \(ruleFiles.count) (\(checked.config.rules.paths.joined(separator: ", ")))\n"
            text += checked.node.redactedYAML()
            FileHandle.standardOutput.write(Data(text.utf8))
        }

        /// Prints the problems (as `rules check` does, on standard output) and gives the exit status.
        private static func failure(_ issues: [ConfigIssue]) -> ExitCode {
            let count = issues.count
            let text = issues.map { "\($0)\n" }.joined() + "FAILED: \(count) \(count == 1 ? "problem" : "problems")\n"
            FileHandle.standardOutput.write(Data(text.utf8))
            return ExitCode(1)
        }
    }
}
