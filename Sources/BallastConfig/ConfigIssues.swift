import Synchronization

/// Collects the problems found while reading one or more files.
public final class ConfigIssues: Sendable {
    private let list = Mutex<[ConfigIssue]>([])
    /// Where a value already has an issue that makes any further one noise (an unresolved
    /// `${VAR}` is also "not a valid address"): later issues there are dropped.
    private let silenced = Mutex<Set<SourceLocation>>([])

    public init() {}

    public func add(_ location: SourceLocation, _ message: String) {
        if silenced.withLock({ $0.contains(location) }) { return }
        list.withLock { $0.append(ConfigIssue(location, message)) }
    }

    /// Drops every later issue at `location` (the first character of a value).
    public func silence(_ location: SourceLocation) {
        silenced.withLock { _ = $0.insert(location) }
    }

    public var all: [ConfigIssue] { list.withLock { $0 } }
    public var isEmpty: Bool { list.withLock { $0.isEmpty } }
    public var error: ConfigError { ConfigError(all) }

    /// Throws every collected issue at once, if there is any.
    public func throwIfAny() throws {
        if !isEmpty { throw error }
    }
}
