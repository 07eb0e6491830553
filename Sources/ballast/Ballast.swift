import ArgumentParser
import CBuildInfo
import Gateway

struct Ballast: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ballast",
        abstract: "A self-healing resilience proxy for the Anthropic API.",
        discussion: "The simulator, the demo and the benchmarks are in `ballast-lab`, which is not shipped.",
        version: "ballast \(BallastVersion.current) (commit \(String(cString: ballast_git_commit())))",
        subcommands: [
            ServeCommand.self, StatsCommand.self, RulesCommand.self,
            StatusCommand.self, DrainCommand.self, RestoreCommand.self, CircuitCLICommand.self, DegradeCommand.self,
            ReloadCommand.self, CanaryCLICommand.self, FingerprintCommand.self, ConfigCommand.self,
        ])
}
