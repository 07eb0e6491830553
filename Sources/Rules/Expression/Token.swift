/// One token of a rule expression, with where it starts (offset in Unicode scalars).
struct Token: Sendable, Equatable {
    var kind: TokenKind
    /// Identifier name, decoded string value, range contents, or the number as written.
    var text: String
    var number: Double
    var offset: Int
    /// Offset just past the token.
    var end: Int

    init(_ kind: TokenKind, text: String = "", number: Double = 0, offset: Int, end: Int) {
        self.kind = kind
        self.text = text
        self.number = number
        self.offset = offset
        self.end = end
    }

    /// How the token reads in an error message.
    var display: String {
        switch kind {
        case .identifier: "'\(text)'"
        case .number: "'\(text)'"
        case .string: "\"\(text)\""
        case .range: "'[\(text)]'"
        default: kind.display
        }
    }
}
