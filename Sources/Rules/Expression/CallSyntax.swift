/// A window function call as written, before it is checked: `error_ratio{...}[30s] by (model)`
/// or `latency_quantile(0.99, {...}[5m])`.
struct CallSyntax: Sendable {
    var name: Token
    /// The quantile argument of `latency_quantile(0.99, ...)`.
    var quantile: Token?
    var matchers: [MatcherSyntax] = []
    /// The `{` of the selector, when there is one.
    var selectorOffset: Int?
    var range: Token?
    var grouping: [Token]?
    /// Offset just past the call, for quoting its text in reasons.
    var end: Int
}
