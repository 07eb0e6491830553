/// `label="value"` as written, before it is checked.
struct MatcherSyntax: Sendable {
    var label: Token
    var op: MatchOperator
    var value: Token
}
