import Rules

/// Evaluates one expression through a one-rule rule set and reports its truth and the values
/// the engine's audit reason quotes: `true [request_rate[10s]=115]`, or per label set for a
/// grouped expression.
enum Probe {
    static func evaluate(_ text: String, source: InMemoryWindowSource, now: Double) -> Result<String, ExpressionError> {
        switch CompiledExpression.compile(text, regions: ["primary", "secondary"]) {
        case .failure(let error): return .failure(error)
        case .success(let expression):
            let values = expression.evaluate(source: source, wallTime: now, regions: ["primary", "secondary"])
            if values.count == 1, values[0].labels.isEmpty { return .success("\(values[0].truth) [\(values[0].evidence)]") }
            return .success(values.map { "\($0.labels): \($0.truth)" }.joined(separator: ", "))
        }
    }
}
