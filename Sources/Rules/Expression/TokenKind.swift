/// The kinds of token in a rule expression.
enum TokenKind: Equatable, Sendable {
    case identifier
    /// A number, possibly written with a duration unit (`30s` is 30) or a percent (`50%` is 0.5).
    case number
    /// A quoted string; the token's text is the decoded value.
    case string
    /// `[30s]`: the token's text is what is between the brackets; its offset is that of `[`.
    case range
    case leftParen, rightParen, leftBrace, rightBrace, comma
    case plus, minus, star, slash
    case greater, greaterEqual, less, lessEqual, equalEqual, notEqual
    /// `=`, `=~`, `!~` (and `!=`, shared with comparison) in label matchers.
    case equal, regexMatch, regexNotMatch
    case end

    var display: String {
        switch self {
        case .identifier: "a name"
        case .number: "a number"
        case .string: "a quoted string"
        case .range: "a window such as [30s]"
        case .leftParen: "'('"
        case .rightParen: "')'"
        case .leftBrace: "'{'"
        case .rightBrace: "'}'"
        case .comma: "','"
        case .plus: "'+'"
        case .minus: "'-'"
        case .star: "'*'"
        case .slash: "'/'"
        case .greater: "'>'"
        case .greaterEqual: "'>='"
        case .less: "'<'"
        case .lessEqual: "'<='"
        case .equalEqual: "'=='"
        case .notEqual: "'!='"
        case .equal: "'='"
        case .regexMatch: "'=~'"
        case .regexNotMatch: "'!~'"
        case .end: "the end of the expression"
        }
    }
}
