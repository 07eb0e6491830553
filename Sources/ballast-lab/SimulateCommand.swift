import ArgumentParser
import BallastTesting
import Foundation
import Logging
import BallastSimulator
import CommandLineSupport

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Run a simulated Anthropic API (several regions, scripted faults) until SIGTERM or SIGINT.")

    @Option(name: .long, help: "Simulator YAML config (see docs/simulator.md). Without it: two healthy regions on 127.0.0.1:18001 and :18002.")
    var config: String?

    @Option(name: .long, help: "Write the regions' base URLs as JSON to this file once listening.")
    var readyFile: String?

    static let defaultConfigYAML = """
        seed: 1
        regions:
          - name: primary
            listen: 127.0.0.1:18001
            latency: { first_byte: { median: 200ms, spread: 0.3 }, token_interval: 10ms }
          - name: secondary
            listen: 127.0.0.1:18002
            latency: { first_byte: { median: 250ms, spread: 0.3 }, token_interval: 10ms }
        """

    func run() throws {
        let simulatorConfig: SimulatorConfig
        do {
            simulatorConfig =
                try config.map { try SimulatorConfig.load(path: $0) }
                ?? SimulatorConfig.parse(Self.defaultConfigYAML, file: "<default simulator config>")
        } catch {
            FileHandle.standardError.write(Data("ballast-lab simulate: invalid config\n\(error)\n".utf8))
            throw ExitCode(2)
        }
        let simulator = Simulator(config: simulatorConfig)
        do {
            try simulator.start()
        } catch {
            FileHandle.standardError.write(Data("ballast-lab simulate: cannot start: \(error)\n".utf8))
            throw ExitCode(1)
        }
        var regions: [String: String] = [:]
        for region in simulator.regions {
            regions[region.name] = region.baseURL
            FileHandle.standardError.write(Data("simulated region \(region.name) at \(region.baseURL)\n".utf8))
        }
        if let readyFile {
            let ready = Ready(regions: regions, pid: Int(ProcessInfo.processInfo.processIdentifier), oauth: simulator.tokenIssuer?.tokenURL)
            try ReadyFile.write(readyFile, ready)
        }
        ProcessSignals.takeOver()
        while ProcessSignals.wait() == SIGHUP {}
        simulator.stop()
    }
}

extension SimulateCommand {
    /// What `--ready-file` gets: each region's base URL by name, and the token issuer's URL
    /// when there is one.
    struct Ready: Encodable {
        var regions: [String: String]
        var pid: Int
        var oauth: String?
    }
}
