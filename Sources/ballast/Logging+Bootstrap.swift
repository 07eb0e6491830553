public import ArgumentParser
import BallastConfig
import BallastCore
import Logging

enum LogSetup {
    /// Logs go to stderr, one line each: text for a person, JSON for a log collector
    /// (`log.format`, `--log-format`); the level comes from `--log-level`.
    static func bootstrap(level: Logger.Level, format: LogConfig.Format = .text) {
        LoggingSystem.bootstrap { label in
            switch format {
            case .text:
                var handler = StreamLogHandler.standardError(label: label)
                handler.logLevel = level
                return handler
            case .json:
                let clock = SystemClock()
                var handler = JSONLogHandler(label: label, wallTime: { clock.wallTime() })
                handler.logLevel = level
                return handler
            }
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
extension LogConfig.Format: ExpressibleByArgument {}
