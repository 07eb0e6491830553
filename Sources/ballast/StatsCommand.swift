import ArgumentParser
import BallastConfig
import BallastCore
import Foundation
import Telemetry

struct StatsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stats",
        abstract: "Summarise a Ballast SQLite store: traffic per region and model, and the actions taken.")

    @Option(name: .long, help: "The SQLite file (default: store.path of --config, else ./ballast.db).")
    var db: String?

    @Option(name: .long, help: "Read the store path from this config file.")
    var config: String?

    @Option(name: .long, help: "How far back to look, e.g. 15m, 1h, 7d.")
    var since: String = "1h"

    @Flag(name: .long, help: "JSON for scripts instead of tables.")
    var json = false

    func run() throws {
        guard let length = DurationText.seconds(since), length > 0 else {
            throw ValidationError("--since must be a duration such as 15m, 1h or 7d")
        }
        let path: String
        if let db {
            path = db
        } else if let config {
            path = try GatewayConfig.load(path: config, environment: ProcessInfo.processInfo.environment).store.path
        } else {
            path = "./ballast.db"
        }
        guard FileManager.default.fileExists(atPath: path) else {
            throw ValidationError("no store at \(path)")
        }
        let store = try TelemetryStore(path: path)
        let now = SystemClock().wallTime()
        let summary = try TelemetrySummary.read(store: store, length: length, now: now)
        let usage = try UsageSummary.read(store: store, since: now - length)
        print(json ? StatsFormatter.json(summary, usage: usage) : StatsFormatter.tables(summary, path: path) + StatsFormatter.usageTable(usage))
    }
}
