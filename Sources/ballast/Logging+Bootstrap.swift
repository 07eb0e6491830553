import ArgumentParser
import Logging

enum LogSetup {
    /// Logs go to stderr, one line each; the level comes from `--log-level`.
    static func bootstrap(level: Logger.Level) {
        LoggingSystem.bootstrap { label in
            var handler = StreamLogHandler.standardError(label: label)
            handler.logLevel = level
            return handler
        }
    }
}

extension Logger.Level: @retroactive ExpressibleByArgument {}
