/// `log`: how Ballast writes its log (to stderr, where platforms collect it).
public struct LogConfig: Sendable, Equatable {
    public enum Format: String, Sendable, CaseIterable {
        /// One human-readable line per entry.
        case text
        /// One JSON object per line: `time`, `level`, `message` and the entry's fields.
        case json
    }

    public var format: Format
    /// One line per proxied request (id, route, model, region, status, attempts, latency,
    /// tokens); never a key, a prompt or an answer.
    public var access: Bool

    public static let keys: Set<String> = ["format", "access"]

    public init(format: Format = .text, access: Bool = false) {
        self.format = format
        self.access = access
    }
}

extension LogConfig {
    static func read(_ map: ConfigMapping?) -> LogConfig {
        var config = LogConfig()
        guard let map else { return config }
        if let node = map["format"], let text = node.string(what: "'log.format'") {
            if let format = Format(rawValue: text) {
                config.format = format
            } else {
                node.error("'log.format' must be text or json, not '\(text)'")
            }
        }
        if let value = map["access"]?.bool(what: "'log.access'") { config.access = value }
        return config
    }
}
