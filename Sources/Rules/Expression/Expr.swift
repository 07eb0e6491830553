/// A checked expression, ready to evaluate.
indirect enum Expr: Sendable {
    case number(Double)
    case call(WindowCall)
    case negate(Expr)
    case not(Expr)
    case arithmetic(BinaryOperator, Expr, Expr)
    case comparison(BinaryOperator, Expr, Expr)
    case logical(BinaryOperator, Expr, Expr)
    case aggregate(AggregateOperator, Expr, Grouping)

    /// Every call, left to right.
    var calls: [WindowCall] {
        switch self {
        case .number: []
        case .call(let call): [call]
        case .negate(let inner), .not(let inner), .aggregate(_, let inner, _): inner.calls
        case .arithmetic(_, let a, let b), .comparison(_, let a, let b), .logical(_, let a, let b): a.calls + b.calls
        }
    }
}
