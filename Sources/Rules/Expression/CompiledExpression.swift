/// A checked `when:` expression: its text, its evaluable form and what it groups by.
public struct CompiledExpression: Sendable {
    /// The expression as written in the rule file.
    public let text: String
    /// The text on one line, runs of spaces and line breaks collapsed: how audit reasons and
    /// the status page quote it.
    public let displayText: String
    let expr: Expr
    /// `by (...)` labels of the result: a rule with a grouping fires once per label set.
    public let grouping: Grouping

    init(text: String, expr: Expr, grouping: Grouping) {
        self.text = text
        displayText = text.split(whereSeparator: { $0 == " " || $0 == "\n" || $0 == "\t" || $0 == "\r" }).joined(separator: " ")
        self.expr = expr
        self.grouping = grouping
    }

    /// Every window function call, left to right.
    public var calls: [WindowCall] { expr.calls }

    /// The longest window any call reads: how long after a change the expression has
    /// forgotten what came before it. Seconds, as `WindowCall.window` is.
    public var longestWindow: Double { calls.map(\.window).max() ?? 0 }

    /// Compiles `text` on its own (for tests and tools). Issues carry offsets into `text`.
    public static func compile(_ text: String, regions: [String] = [], maxWindow: Double = 3600) -> Result<CompiledExpression, ExpressionError> {
        var nextID = 0
        return ExpressionCompiler.compile(text, regions: regions, maxWindow: maxWindow, nextID: &nextID)
    }
}

extension CompiledExpression {
    /// Evaluates the expression on its own (outside the engine), for tools, the status page
    /// and tests. `now` is wall-clock seconds; `regions` are the configured regions, added to
    /// those the source knows when a `by (region)` is expanded.
    public func evaluate(source: some WindowSource, wallTime: Double, regions: [String] = []) -> [ConditionValue] {
        let evaluator = ExprEvaluator(context: EvaluationContext(source: source, wallTime: wallTime, regions: regions))
        return evaluator.conditions(self).sorted { $0.key < $1.key }.map { labels, truth in
            ConditionValue(labels: labels, truth: truth, evidence: evaluator.explain(self, labels: labels))
        }
    }
}
