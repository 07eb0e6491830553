import ArgumentParser
import BallastConfig
import Foundation
import Gateway
import Logging

struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Run the proxy and its admin listener until SIGTERM or SIGINT.")

    @Option(name: .long, help: "YAML config file. Without it: the real Anthropic API, key from ANTHROPIC_API_KEY.")
    var config: String?

    @Option(name: .long, help: "Write the bound addresses as JSON to this file once listening.")
    var readyFile: String?

    @Option(name: .long, help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: Logger.Level = .info

    func run() throws {
        LogSetup.bootstrap(level: logLevel)
        let logger = Logger(label: "ballast")
        let gatewayConfig: GatewayConfig
        do {
            gatewayConfig = try config.map { try GatewayConfig.load(path: $0) } ?? GatewayConfig.embeddedDefault
        } catch {
            FileHandle.standardError.write(Data("ballast: invalid config\n\(error)\n".utf8))
            throw ExitCode(2)
        }
        let service: GatewayService
        do {
            service = try GatewayService(config: gatewayConfig, environment: ProcessInfo.processInfo.environment,
                                         logger: logger, configPath: config)
            try service.start()
        } catch {
            FileHandle.standardError.write(Data("ballast: cannot start: \(error)\n".utf8))
            throw ExitCode(1)
        }
        // Until here SIGTERM and SIGINT end the process at once (nothing is served yet); from
        // here on they drain.
        ProcessSignals.takeOver()
        if let readyFile {
            try ReadyFile.write(readyFile, ["proxy": service.proxyAddress, "admin": service.adminAddress,
                                            "pid": Int(ProcessInfo.processInfo.processIdentifier)])
        }
        while true {
            let signal = ProcessSignals.wait()
            if signal == SIGHUP {
                logger.info("SIGHUP: \(service.reloadCredentials(environment: ProcessInfo.processInfo.environment))")
                logger.info("SIGHUP: \(service.reloadClientsFromFile())")
                if let errors = service.reloadRules() {
                    logger.error("SIGHUP: rules not reloaded, the running rules stay", metadata: ["errors": "\(errors)"])
                }
                continue
            }
            logger.info("signal received, draining", metadata: ["signal": "\(signal)"])
            service.stop(gracePeriod: gatewayConfig.server.drainTimeout)
            return
        }
    }
}
