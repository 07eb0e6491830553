import ArgumentParser
import CBuildInfo
import Gateway

struct Ballast: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ballast",
        abstract: "A self-healing resilience proxy for the Anthropic API.",
        version: "ballast \(BallastVersion.current) (commit \(String(cString: ballast_git_commit())))",
        subcommands: [ServeCommand.self, SimulateCommand.self, DemoCommand.self, StatsCommand.self, RulesCommand.self, BenchCommand.self,
                      StatusCommand.self, DrainCommand.self, RestoreCommand.self, CircuitCLICommand.self, DegradeCommand.self,
                      ReloadCommand.self, CanaryCLICommand.self, FingerprintCommand.self, ConfigCommand.self])
}
