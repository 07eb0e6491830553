/// One instance of a rule: the rule itself, or one label set of a grouped rule
/// (`model-failing{model="claude-opus-4-1"}`). Pending/firing state, degradation demands and
/// route shifts belong to instances.
public struct RuleInstance: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var key: RuleKey
    public var labels: SeriesLabels

    public init(key: RuleKey, labels: SeriesLabels = .none) {
        self.key = key
        self.labels = labels
    }

    public static func < (lhs: RuleInstance, rhs: RuleInstance) -> Bool { (lhs.key, lhs.labels) < (rhs.key, rhs.labels) }

    /// `rule-name` or `rule-name{model="..."}`: how tests and audit entries name it.
    public var description: String { key.rule + labels.description }
}
