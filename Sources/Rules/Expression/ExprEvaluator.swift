/// Evaluates checked expressions against one step's `EvaluationContext`.
struct ExprEvaluator {
    let context: EvaluationContext

    /// The condition per label set of `expression` (one, under the empty label set, when it is
    /// not grouped).
    func conditions(_ expression: CompiledExpression) -> [SeriesLabels: Truth] {
        evaluate(expression.expr).truths
    }

    func evaluate(_ expr: Expr) -> ExprValue {
        switch expr {
        case .number(let value):
            return .number(value)
        case .call(let call):
            let values = context.values(call)
            if call.grouping.isEmpty { return .number(values[.none] ?? .nan) }
            return .numbers(values)
        case .negate(let inner):
            switch evaluate(inner) {
            case .number(let value): return .number(-value)
            case .numbers(let values): return .numbers(values.mapValues { -$0 })
            default: return .number(.nan)
            }
        case .not(let inner):
            switch evaluate(inner) {
            case .truth(let value): return .truth(value.negated)
            case .truths(let values): return .truths(values.mapValues(\.negated))
            default: return .truth(.unknown)
            }
        case .aggregate(let op, let inner, let grouping):
            switch evaluate(inner) {
            case .number(let value):
                return .number(value)
            case .numbers(let values):
                var groups: [SeriesLabels: [Double]] = [:]
                for (labels, value) in values { groups[labels.projected(onto: grouping), default: []].append(value) }
                let aggregated = groups.mapValues { op.apply($0) }
                if grouping.isEmpty { return .number(aggregated[.none] ?? .nan) }
                return .numbers(aggregated)
            default:
                return .number(.nan)
            }
        case .arithmetic(let op, let a, let b):
            return numbers(evaluate(a), evaluate(b)) { op.apply($0, $1) }
        case .comparison(let op, let a, let b):
            return compare(evaluate(a), evaluate(b)) { op.compare($0, $1) }
        case .logical(let op, let a, let b):
            let left = evaluate(a)
            // Short cuts that keep queries down: a false single condition decides `and`, a
            // true one decides `or`.
            if case .truth(let value) = left {
                if op == .and, value == .false { return .truth(.false) }
                if op == .or, value == .true { return .truth(.true) }
            }
            return logical(op, left, evaluate(b))
        }
    }

    private func numbers(_ a: ExprValue, _ b: ExprValue, _ f: (Double, Double) -> Double) -> ExprValue {
        switch (a, b) {
        case (.number(let x), .number(let y)): return .number(f(x, y))
        case (.numbers(let xs), .number(let y)): return .numbers(xs.mapValues { f($0, y) })
        case (.number(let x), .numbers(let ys)): return .numbers(ys.mapValues { f(x, $0) })
        case (.numbers(let xs), .numbers(let ys)): return .numbers(Self.join(xs, ys, union: false, missing: .nan, f))
        default: return .number(.nan)
        }
    }

    private func compare(_ a: ExprValue, _ b: ExprValue, _ f: (Double, Double) -> Truth) -> ExprValue {
        switch (a, b) {
        case (.number(let x), .number(let y)): return .truth(f(x, y))
        case (.numbers(let xs), .number(let y)): return .truths(xs.mapValues { f($0, y) })
        case (.number(let x), .numbers(let ys)): return .truths(ys.mapValues { f(x, $0) })
        case (.numbers(let xs), .numbers(let ys)): return .truths(Self.join(xs, ys, union: false, missing: .nan, f))
        default: return .truth(.unknown)
        }
    }

    private func logical(_ op: BinaryOperator, _ a: ExprValue, _ b: ExprValue) -> ExprValue {
        let isAnd = op == .and
        let f: (Truth, Truth) -> Truth = { isAnd ? Truth.and($0, $1) : Truth.or($0, $1) }
        switch (a, b) {
        case (.truth(let x), .truth(let y)): return .truth(f(x, y))
        case (.truths(let xs), .truth(let y)): return .truths(xs.mapValues { f($0, y) })
        case (.truth(let x), .truths(let ys)): return .truths(ys.mapValues { f(x, $0) })
        case (.truths(let xs), .truths(let ys)): return .truths(Self.join(xs, ys, union: op == .or, missing: .unknown, f))
        default: return .truth(.unknown)
        }
    }

    /// Pairs the elements of two grouped values. With the same labels on both sides, elements
    /// pair by equal label sets (`union` keeps the unpaired ones against `missing`, which
    /// `or` needs). With different labels (`by (region)` against `by (model)`), every pair
    /// that agrees on the labels both have is combined under the union of their labels.
    static func join<A, C>(
        _ xs: [SeriesLabels: A], _ ys: [SeriesLabels: A], union: Bool, missing: A,
        _ f: (A, A) -> C
    ) -> [SeriesLabels: C] {
        guard let xKey = xs.keys.first, let yKey = ys.keys.first else {
            if union {
                var result: [SeriesLabels: C] = [:]
                for (key, x) in xs { result[key] = f(x, missing) }
                for (key, y) in ys { result[key] = f(missing, y) }
                return result
            }
            return [:]
        }
        let sameLabels = (xKey.region == nil) == (yKey.region == nil) && (xKey.model == nil) == (yKey.model == nil)
        var result: [SeriesLabels: C] = [:]
        if sameLabels {
            for (key, x) in xs {
                if let y = ys[key] {
                    result[key] = f(x, y)
                } else if union {
                    result[key] = f(x, missing)
                }
            }
            if union {
                for (key, y) in ys where xs[key] == nil { result[key] = f(missing, y) }
            }
            return result
        }
        for (xLabels, x) in xs {
            for (yLabels, y) in ys {
                if let region = xLabels.region, let other = yLabels.region, region != other { continue }
                if let model = xLabels.model, let other = yLabels.model, model != other { continue }
                let key = SeriesLabels(region: xLabels.region ?? yLabels.region, model: xLabels.model ?? yLabels.model)
                result[key] = f(x, y)
            }
        }
        return result
    }

    /// `error_ratio{...}[30s]=0.62, request_rate{...}[30s]=5.3`: the value of every call for
    /// the instance `labels`, the evidence an audit reason quotes.
    func explain(_ expression: CompiledExpression, labels: SeriesLabels) -> String {
        var seen: Set<String> = []
        var parts: [String] = []
        for call in expression.calls where seen.insert(call.text).inserted {
            let values = context.values(call)
            if call.grouping.isSubset(of: grouping(of: labels)) {
                parts.append("\(call.text)=\(Self.format(values[labels.projected(onto: call.grouping)] ?? .nan))")
                continue
            }
            // A call grouped more finely than the instance (inside an aggregation): the values
            // of the elements that belong to the instance.
            let elements = values.filter { element in
                (labels.region == nil || element.key.region == labels.region) && (labels.model == nil || element.key.model == labels.model)
            }.sorted { $0.key < $1.key }
            let shown = elements.prefix(6).map { "\($0.key)=\(Self.format($0.value))" }.joined(separator: " ")
            parts.append("\(call.text)=[\(shown)\(elements.count > 6 ? " ..." : "")]")
        }
        return parts.joined(separator: ", ")
    }

    private func grouping(of labels: SeriesLabels) -> Grouping {
        var grouping: Grouping = []
        if labels.region != nil { grouping.insert(.region) }
        if labels.model != nil { grouping.insert(.model) }
        return grouping
    }

    /// Up to four decimals, no trailing zeros; `no data` for NaN.
    static func format(_ value: Double) -> String {
        if value.isNaN { return "no data" }
        if value.isInfinite { return value > 0 ? "+Inf" : "-Inf" }
        let rounded = (value * 10_000).rounded() / 10_000
        if rounded == rounded.rounded(), abs(rounded) < 1e15 { return String(Int(rounded)) }
        return String(rounded)
    }
}
