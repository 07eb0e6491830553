import CommandLineSupport
import ArgumentParser
import BallastCore
import Foundation

struct DemoCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Show Ballast healing a simulated faulty upstream: the same traffic direct and through Ballast.",
        discussion: """
            The script runs a 429 burst, a slow tail, a token expiry, a primary outage and its recovery, and \
            a 529 wave that raises the degradation level; its phases scale with --duration.
            """)

    @Option(name: .long, help: "How long the load runs, e.g. 75s (10s to 10m; the phases scale with it).")
    var duration: String = "75s"

    @Option(name: .long, help: "Base requests per second on each path (the 429 phase surges to 3x).")
    var rate: Double = 40

    @Option(name: .long, help: "Seed for arrivals and faults.")
    var seed: UInt64 = 42

    @Flag(name: .long, help: "Plain progress lines even on a terminal.")
    var noTty = false

    func run() throws {
        guard let seconds = DurationText.seconds(duration), seconds >= 10, seconds <= 600 else {
            throw ValidationError("--duration must be a duration from 10s to 10m, such as 60s")
        }
        guard rate >= 5, rate <= 500 else { throw ValidationError("--rate must be from 5 to 500 requests per second") }
        let live = !noTty && isatty(STDOUT_FILENO) == 1
        let script = DemoScript(seconds: seconds, rate: rate, seed: seed)
        let summary = try runBlocking { try await DemoRun(script: script, live: live).run() }
        print(summary, terminator: "")
    }
}
