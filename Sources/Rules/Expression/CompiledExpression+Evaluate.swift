extension CompiledExpression {
    /// Evaluates the expression on its own (outside the engine), for tools, the status page
    /// and tests. `now` is wall-clock seconds; `regions` are the configured regions, added to
    /// those the source knows when a `by (region)` is expanded.
    public func evaluate(source: some WindowSource, now: Double, regions: [String] = []) -> [ConditionValue] {
        let evaluator = ExprEvaluator(context: EvaluationContext(source: source, now: now, regions: regions))
        return evaluator.conditions(self).sorted { $0.key < $1.key }.map { labels, truth in
            ConditionValue(labels: labels, truth: truth, evidence: evaluator.explain(self, labels: labels))
        }
    }
}
