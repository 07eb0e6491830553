/// A checked `region` or `model` matcher of a selector.
public struct LabelMatcher: Sendable {
    public var op: MatchOperator
    public var value: String
    let pattern: PatternMatcher?

    init(op: MatchOperator, value: String, pattern: PatternMatcher?) {
        self.op = op
        self.value = value
        self.pattern = pattern
    }

    public func matches(_ candidate: String) -> Bool {
        switch op {
        case .equal: candidate == value
        case .notEqual: candidate != value
        case .regex: pattern?.matches(candidate) ?? false
        case .notRegex: !(pattern?.matches(candidate) ?? false)
        }
    }
}
