/// How a label matcher compares: `=`, `!=`, `=~`, `!~` (regular expressions match the whole
/// value, as in PromQL).
public enum MatchOperator: String, Sendable, Hashable {
    case equal = "="
    case notEqual = "!="
    case regex = "=~"
    case notRegex = "!~"
}
