import BallastCore

/// Splits a rule expression into tokens. Stops at the first character it cannot read: a
/// syntax error makes the rest of the expression meaningless, and each expression's first
/// error is reported along with every other problem of the file.
struct Tokenizer {
    private let scalars: [Unicode.Scalar]
    private var position = 0

    init(_ text: String) {
        scalars = Array(text.unicodeScalars)
    }

    static func tokens(_ text: String) -> Result<[Token], ExpressionIssue> {
        var tokenizer = Tokenizer(text)
        var tokens: [Token] = []
        while true {
            switch tokenizer.next() {
            case .success(let token):
                tokens.append(token)
                if token.kind == .end { return .success(tokens) }
            case .failure(let issue):
                return .failure(issue)
            }
        }
    }

    private mutating func next() -> Result<Token, ExpressionIssue> {
        while position < scalars.count, Self.isSpace(scalars[position]) { position += 1 }
        let start = position
        guard position < scalars.count else { return .success(Token(.end, offset: start, end: start)) }
        let c = scalars[position]
        if Self.isLetter(c) || c == "_" {
            while position < scalars.count, Self.isLetter(scalars[position]) || Self.isDigit(scalars[position]) || scalars[position] == "_" {
                position += 1
            }
            return .success(Token(.identifier, text: text(start, position), offset: start, end: position))
        }
        if Self.isDigit(c) || (c == "." && position + 1 < scalars.count && Self.isDigit(scalars[position + 1])) {
            return number()
        }
        if c == "\"" || c == "'" { return string(quote: c) }
        if c == "[" { return range() }
        position += 1
        let kind: TokenKind
        switch c {
        case "(": kind = .leftParen
        case ")": kind = .rightParen
        case "{": kind = .leftBrace
        case "}": kind = .rightBrace
        case ",": kind = .comma
        case "+": kind = .plus
        case "-": kind = .minus
        case "*": kind = .star
        case "/": kind = .slash
        case ">": kind = take("=") ? .greaterEqual : .greater
        case "<": kind = take("=") ? .lessEqual : .less
        case "=":
            if take("=") { kind = .equalEqual } else if take("~") { kind = .regexMatch } else { kind = .equal }
        case "!":
            if take("=") {
                kind = .notEqual
            } else if take("~") {
                kind = .regexNotMatch
            } else {
                return .failure(ExpressionIssue(offset: start, "unexpected '!': write 'not' for negation, '!=' or '!~' in comparisons and matchers"))
            }
        case "&", "|":
            let word = c == "&" ? "and" : "or"
            return .failure(ExpressionIssue(offset: start, "unexpected '\(c)': write '\(word)'"))
        default:
            return .failure(ExpressionIssue(offset: start, "unexpected character '\(c)'"))
        }
        return .success(Token(kind, offset: start, end: position))
    }

    /// `0.5`, `1e3`, `30s`, `1m30s`, `250ms`, `50%`.
    private mutating func number() -> Result<Token, ExpressionIssue> {
        let start = position
        while position < scalars.count, Self.isDigit(scalars[position]) { position += 1 }
        if position < scalars.count, scalars[position] == "." {
            position += 1
            while position < scalars.count, Self.isDigit(scalars[position]) { position += 1 }
        }
        if position + 1 < scalars.count, scalars[position] == "e" || scalars[position] == "E" {
            var look = position + 1
            if scalars[look] == "+" || scalars[look] == "-" { look += 1 }
            if look < scalars.count, Self.isDigit(scalars[look]) {
                position = look
                while position < scalars.count, Self.isDigit(scalars[position]) { position += 1 }
            }
        }
        let numeral = text(start, position)
        if position < scalars.count, scalars[position] == "%" {
            position += 1
            guard let value = Double(numeral) else { return .failure(ExpressionIssue(offset: start, "'\(numeral)%' is not a number")) }
            return .success(Token(.number, text: numeral + "%", number: value / 100, offset: start, end: position))
        }
        if position < scalars.count, Self.isLetter(scalars[position]) {
            while position < scalars.count, Self.isLetter(scalars[position]) || Self.isDigit(scalars[position]) || scalars[position] == "." {
                position += 1
            }
            let written = text(start, position)
            guard let seconds = DurationText.seconds(written) else {
                return .failure(ExpressionIssue(offset: start, "'\(written)' is neither a number nor a duration such as 500ms, 30s or 5m"))
            }
            return .success(Token(.number, text: written, number: seconds, offset: start, end: position))
        }
        guard let value = Double(numeral) else { return .failure(ExpressionIssue(offset: start, "'\(numeral)' is not a number")) }
        return .success(Token(.number, text: numeral, number: value, offset: start, end: position))
    }

    private mutating func string(quote: Unicode.Scalar) -> Result<Token, ExpressionIssue> {
        let start = position
        position += 1
        var value = String.UnicodeScalarView()
        while position < scalars.count {
            let c = scalars[position]
            if c == quote {
                position += 1
                return .success(Token(.string, text: String(value), offset: start, end: position))
            }
            if c == "\\" {
                guard position + 1 < scalars.count else { break }
                let escaped = scalars[position + 1]
                switch escaped {
                case "n": value.append("\n")
                case "t": value.append("\t")
                case "\\", "\"", "'": value.append(escaped)
                default:
                    // Kept as written, so that regular expressions such as "\d" read naturally.
                    value.append("\\")
                    value.append(escaped)
                }
                position += 2
                continue
            }
            value.append(c)
            position += 1
        }
        return .failure(ExpressionIssue(offset: start, "string is not closed: add the ending \(quote)"))
    }

    private mutating func range() -> Result<Token, ExpressionIssue> {
        let start = position
        position += 1
        let inner = position
        while position < scalars.count, scalars[position] != "]" { position += 1 }
        guard position < scalars.count else {
            return .failure(ExpressionIssue(offset: start, "window is not closed: add the ending ]"))
        }
        let content = text(inner, position)
        position += 1
        return .success(Token(.range, text: content, offset: start, end: position))
    }

    private mutating func take(_ expected: Unicode.Scalar) -> Bool {
        guard position < scalars.count, scalars[position] == expected else { return false }
        position += 1
        return true
    }

    private func text(_ from: Int, _ to: Int) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[from..<to])
        return String(view)
    }

    private static func isSpace(_ c: Unicode.Scalar) -> Bool { c == " " || c == "\t" || c == "\n" || c == "\r" }
    private static func isDigit(_ c: Unicode.Scalar) -> Bool { ("0"..."9").contains(c) }
    private static func isLetter(_ c: Unicode.Scalar) -> Bool { ("a"..."z").contains(c) || ("A"..."Z").contains(c) }
}
