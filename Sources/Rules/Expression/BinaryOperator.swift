/// The binary operators of rule expressions, loosest-binding first: `or`, `and`, comparisons,
/// `+ -`, `* /`.
public enum BinaryOperator: String, Sendable, Hashable {
    case or, and
    case greater = ">", greaterEqual = ">=", less = "<", lessEqual = "<=", equal = "==", notEqual = "!="
    case add = "+", subtract = "-", multiply = "*", divide = "/"

    var isLogical: Bool { self == .or || self == .and }

    var isComparison: Bool {
        switch self {
        case .greater, .greaterEqual, .less, .lessEqual, .equal, .notEqual: true
        default: false
        }
    }

    var isArithmetic: Bool { !isLogical && !isComparison }

    func apply(_ a: Double, _ b: Double) -> Double {
        switch self {
        case .add: a + b
        case .subtract: a - b
        case .multiply: a * b
        case .divide: a / b
        default: .nan
        }
    }

    /// A comparison of two numbers; `unknown` when either is NaN (no data).
    func compare(_ a: Double, _ b: Double) -> Truth {
        if a.isNaN || b.isNaN { return .unknown }
        let result: Bool
        switch self {
        case .greater: result = a > b
        case .greaterEqual: result = a >= b
        case .less: result = a < b
        case .lessEqual: result = a <= b
        case .equal: result = a == b
        case .notEqual: result = a != b
        default: return .unknown
        }
        return result ? .true : .false
    }
}
