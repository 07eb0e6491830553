import ArgumentParser
import BallastConfig
import Foundation
import Rules

/// `ballast rules check` and `ballast rules test`: the rule files' compiler and unit tests, so
/// an operator (or CI) finds every mistake before a reload would refuse the files. The work is
/// done by `RuleCheck` and `RuleTestRunner` in the Rules module; these commands only print
/// their report and exit with their status.
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rules",
        abstract: "Check and test remediation rule files (see docs/rules.md).",
        subcommands: [Check.self, Test.self])

    /// `ballast rules check [--config FILE] [FILES...]`
    struct Check: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "check",
            abstract: "Report every error of the rule files, as FILE:LINE:COLUMN: MESSAGE; exit 1 if there is any.")

        @Option(name: .long, help: "Ballast config: its regions are the ones rules may name, its rules.paths the files checked when none are given.")
        var config: String?

        @Argument(help: "Rule files or glob patterns, checked together as the server loads them.")
        var files: [String] = []

        func run() throws {
            var context = RuleContext()
            var paths = files
            if let config {
                let gatewayConfig: GatewayConfig
                do {
                    gatewayConfig = try GatewayConfig.load(path: config, environment: ProcessInfo.processInfo.environment)
                } catch {
                    FileHandle.standardError.write(Data("ballast rules check: invalid config\n\(error)\n".utf8))
                    throw ExitCode(2)
                }
                context = RuleContext(config: gatewayConfig)
                if paths.isEmpty { paths = gatewayConfig.rules.paths }
            }
            guard !paths.isEmpty else {
                throw ValidationError("give rule files, or --config to check the config's rules.paths")
            }
            let report = RuleCheck.run(paths: paths, context: context)
            FileHandle.standardOutput.write(Data(report.text.utf8))
            if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
        }
    }

    /// `ballast rules test FILES...`
    struct Test: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "test",
            abstract: "Run rule unit tests (input series over time, expected firing rules and state); exit 1 if any fails.")

        @Argument(help: "Rule test files or glob patterns, such as rules/tests/*.yaml.")
        var files: [String]

        func validate() throws {
            if files.isEmpty { throw ValidationError("give at least one rule test file") }
        }

        func run() throws {
            let report = RuleTestRunner.run(paths: files)
            FileHandle.standardOutput.write(Data(report.text.utf8))
            if report.exitStatus != 0 { throw ExitCode(report.exitStatus) }
        }
    }
}
