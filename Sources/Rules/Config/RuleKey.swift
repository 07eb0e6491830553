/// Identifies a rule across reloads: its group's name and its own. A reloaded rule with the
/// same key keeps its pending/firing state.
public struct RuleKey: Hashable, Sendable, Comparable, CustomStringConvertible {
    public var group: String
    public var rule: String

    public init(group: String, rule: String) {
        self.group = group
        self.rule = rule
    }

    public static func < (lhs: RuleKey, rhs: RuleKey) -> Bool { (lhs.group, lhs.rule) < (rhs.group, rhs.rule) }

    public var description: String { "\(group)/\(rule)" }
}
