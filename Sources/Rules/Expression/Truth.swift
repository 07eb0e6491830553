/// The value of a condition. A ratio over a window without requests has no value, and a
/// comparison with it is `unknown` rather than false, so that `not (error_ratio[1m] < 0.1)`
/// does not fire for a region that simply has no traffic. A rule fires only on `true`.
public enum Truth: Sendable, Hashable {
    case `true`, `false`, unknown

    static func and(_ a: Truth, _ b: Truth) -> Truth {
        if a == .false || b == .false { return .false }
        if a == .true && b == .true { return .true }
        return .unknown
    }

    static func or(_ a: Truth, _ b: Truth) -> Truth {
        if a == .true || b == .true { return .true }
        if a == .false && b == .false { return .false }
        return .unknown
    }

    var negated: Truth {
        switch self {
        case .true: .false
        case .false: .true
        case .unknown: .unknown
        }
    }
}
