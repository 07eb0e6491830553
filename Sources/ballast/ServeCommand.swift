import ArgumentParser
import BallastConfig
import BallastCore
import Foundation
import Gateway
import Logging
import CommandLineSupport

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

    @Option(name: .long, help: "text or json (one JSON object per line); overrides the config's log.format.")
    var logFormat: LogConfig.Format?

    func run() throws {
        let environment = ProcessInfo.processInfo.environment
        let gatewayConfig: GatewayConfig
        do {
            gatewayConfig = try config.map { try GatewayConfig.load(path: $0, environment: environment) } ?? GatewayConfig.embeddedDefault
        } catch {
            // Before the log is set up: config problems are for a person, as file:line:col.
            FileHandle.standardError.write(Data("ballast: invalid config\n\(error)\n".utf8))
            throw ExitCode(2)
        }
        LogSetup.bootstrap(level: logLevel, format: logFormat ?? gatewayConfig.log.format)
        let logger = Logger(label: "ballast")
        let service: GatewayService
        do {
            service = try GatewayService(config: gatewayConfig, environment: environment, logger: logger, configPath: config)
            try service.start()
        } catch {
            logger.critical("cannot start: \(error)")
            throw ExitCode(1)
        }
        // Until here SIGTERM and SIGINT end the process at once (nothing is served yet); from
        // here on they drain.
        ProcessSignals.takeOver()
        if let readyFile {
            let addresses = ReadyFile.Serve(
                proxy: service.proxyAddress, admin: service.adminAddress, probe: service.probeAddress,
                pid: Int(ProcessInfo.processInfo.processIdentifier))
            try ReadyFile.write(readyFile, addresses)
        }
        var shutdown = ShutdownSequence(delay: gatewayConfig.shutdown.delay.seconds, grace: gatewayConfig.shutdown.grace.seconds)
        let clock = SystemClock()
        var step = ShutdownSequence.Step.none
        while true {
            let signal: Int32?
            switch step {
            case .wait(let until):
                signal = ProcessSignals.wait(seconds: until.seconds(since: clock.now()))
            case .none:
                signal = ProcessSignals.wait()
            case .closeListener(let grace):
                logger.info("closing the proxy listener", metadata: ["grace_seconds": "\(grace)"])
                service.stop(gracePeriod: grace)
                return
            }
            guard let signal else {
                step = shutdown.tick(at: clock.now())
                continue
            }
            if signal == SIGHUP {
                logger.info("SIGHUP: \(service.reloadCredentials(environment: ProcessInfo.processInfo.environment))")
                logger.info("SIGHUP: \(service.reloadClientsFromFile())")
                if let errors = service.reloadRules() {
                    logger.error("SIGHUP: rules not reloaded, the running rules stay", metadata: ["errors": "\(errors)"])
                }
                if case .wait = step { step = shutdown.tick(at: clock.now()) }
                continue
            }
            logger.info("signal received", metadata: ["signal": "\(signal)"])
            step = shutdown.receive(signal == SIGINT ? .interrupt : .terminate, at: clock.now())
            // Readiness goes first, whatever comes next: a probe must see 503 at once.
            service.announceShutdown(listenerClosesIn: shutdown.delay)
        }
    }
}
