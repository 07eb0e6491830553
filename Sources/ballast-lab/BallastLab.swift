import ArgumentParser
import CBuildInfo
import Gateway

/// The lab: what Ballast is measured and shown with, never shipped (`make dist` packs only
/// `ballast`). `simulate` serves a faulty Anthropic API, `demo` and `bench` run the real
/// `ballast` binary (found beside this one) against it.
struct BallastLab: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ballast-lab",
        abstract: "Ballast's lab: a simulated Anthropic API, the demo and the benchmarks.",
        version: "ballast-lab \(BallastVersion.current) (commit \(String(cString: ballast_git_commit())))",
        subcommands: [SimulateCommand.self, DemoCommand.self, BenchCommand.self, CapacityCommand.self])
}
