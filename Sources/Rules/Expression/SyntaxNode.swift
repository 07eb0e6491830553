/// The parse tree of a rule expression, before names, labels and types are checked.
indirect enum SyntaxNode: Sendable {
    case number(Token)
    case call(CallSyntax)
    case negate(SyntaxNode, offset: Int)
    case not(SyntaxNode, offset: Int)
    case binary(BinaryOperator, SyntaxNode, SyntaxNode, offset: Int)
    case parenthesized(SyntaxNode, offset: Int, end: Int)
    case aggregate(AggregateOperator, SyntaxNode, by: [Token], offset: Int, end: Int)

    /// Where the node starts in the expression text.
    var start: Int {
        switch self {
        case .number(let token): token.offset
        case .call(let call): call.name.offset
        case .negate(_, let offset), .not(_, let offset), .parenthesized(_, let offset, _), .aggregate(_, _, _, let offset, _): offset
        case .binary(_, let left, _, _): left.start
        }
    }

    /// Where the node ends (exclusive).
    var end: Int {
        switch self {
        case .number(let token): token.end
        case .call(let call): call.end
        case .negate(let inner, _), .not(let inner, _): inner.end
        case .binary(_, _, let right, _): right.end
        case .parenthesized(_, _, let end), .aggregate(_, _, _, _, let end): end
        }
    }
}
