import ArgumentParser
import BallastCore
import BallastTesting
import Foundation
import Upstream

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show Ballast healing a simulated faulty upstream: the same traffic direct and through Ballast.")

    @Option(name: .long, help: "How long the load runs, e.g. 30s.")
    var duration: String = "30s"

    @Option(name: .long, help: "Requests per second on each path.")
    var rate: Double = 40

    @Option(name: .long, help: "Seed for arrivals and faults.")
    var seed: UInt64 = 42

    @Flag(name: .long, help: "Plain progress lines even on a terminal.")
    var noTty = false

    func run() throws {
        ProcessSignals.exitOnTermination()
        guard let seconds = DurationText.seconds(duration), seconds >= 5 else {
            throw ValidationError("--duration must be a duration of at least 5s, such as 30s")
        }
        let live = !noTty && isatty(STDOUT_FILENO) == 1
        let summary = try runBlocking { [rate, seed] in
            try await DemoRun(seconds: seconds, rate: rate, seed: seed, live: live).run()
        }
        print(summary)
    }
}
