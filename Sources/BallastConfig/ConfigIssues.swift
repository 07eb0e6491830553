import Synchronization

/// Collects the problems found while reading one or more files.
public final class ConfigIssues: Sendable {
    private let list = Mutex<[ConfigIssue]>([])

    public init() {}

    public func add(_ location: SourceLocation, _ message: String) {
        list.withLock { $0.append(ConfigIssue(location, message)) }
    }

    public var all: [ConfigIssue] { list.withLock { $0 } }
    public var isEmpty: Bool { list.withLock { $0.isEmpty } }
    public var error: ConfigError { ConfigError(all) }

    /// Throws every collected issue at once, if there is any.
    public func throwIfAny() throws {
        if !isEmpty { throw error }
    }
}
