/// The static type of an expression: a number or a condition, single or grouped.
struct ExprType: Sendable, Equatable {
    package enum Kind: Sendable, Equatable {
        case number, condition
    }

    var kind: Kind
    var grouping: Grouping

    static let number = ExprType(kind: .number, grouping: [])
}
