/// Recursive-descent parser for rule expressions:
///
/// ```
/// expr       = and_expr { "or" and_expr }
/// and_expr   = not_expr { "and" not_expr }
/// not_expr   = "not" not_expr | comparison
/// comparison = sum [ (">" | ">=" | "<" | "<=" | "==" | "!=") sum ]
/// sum        = product { ("+" | "-") product }
/// product    = unary { ("*" | "/") unary }
/// unary      = "-" unary | primary
/// primary    = number | "(" expr ")" | aggregate | call
/// aggregate  = ("min" | "max" | "sum" | "avg") [ "by" "(" label { "," label } ")" ] "(" expr ")"
/// call       = name [ "(" [ number "," ] [ selector ] [ range ] ")" | [ selector ] [ range ] ]
///              [ "by" "(" label { "," label } ")" ]
/// selector   = "{" [ matcher { "," matcher } [ "," ] ] "}"
/// matcher    = label ( "=" | "!=" | "=~" | "!~" ) string
/// range      = "[" duration "]"
/// ```
///
/// Comparisons do not chain (`a < b < c` is an error), as in most languages that are read by
/// people who did not write them.
///
/// The tree is at most `maxDepth` levels deep, counting every operator (`a and b and c` is two
/// levels, `((a))` three): the parser, the compiler, the evaluator and the tree's own release
/// all recurse, and 10,000 nested parentheses or a chain of 20,000 `not` overflowed the stack
/// (a SIGSEGV in `rules check` and in a running gateway's reload). The depth is checked as the
/// tree is built, so no deeper tree ever exists.
public struct ExpressionParser {
    /// 64 levels: the deepest shipped `when:` is 8 levels deep (rules/regional-failover.yaml:
    /// aggregations of differences inside a chain of `and`). Stack measured in a debug build: 64 parenthesised levels compile and
    /// evaluate on a 512 KiB thread, 254 levels need more than 1 MiB (some 5 KiB per level
    /// through the parser's eight functions, the compiler and the evaluator).
    public static let maxDepth = 64

    private let tokens: [Token]
    private var index = 0
    /// How deep the parser has recursed (one per parenthesis, `not`, unary `-` or aggregate).
    private var nesting = 0

    /// A parsed subtree and its depth.
    private struct Parsed {
        var node: SyntaxNode
        var depth: Int
    }

    static let keywords: Set<String> = ["and", "or", "not", "by"]

    private init(tokens: [Token]) { self.tokens = tokens }

    static func parse(_ text: String) -> Result<SyntaxNode, ExpressionIssue> {
        switch Tokenizer.tokens(text) {
        case .failure(let issue):
            return .failure(issue)
        case .success(let tokens):
            var parser = ExpressionParser(tokens: tokens)
            do {
                if parser.peek.kind == .end { throw ExpressionIssue(offset: 0, "the expression is empty") }
                let node = try parser.expression().node
                guard parser.peek.kind == .end else {
                    throw ExpressionIssue(
                        offset: parser.peek.offset, "unexpected \(parser.peek.display) after a complete expression; join conditions with 'and' or 'or'")
                }
                return .success(node)
            } catch let issue as ExpressionIssue {
                return .failure(issue)
            } catch {
                return .failure(ExpressionIssue(offset: 0, "\(error)"))
            }
        }
    }

    private var peek: Token { tokens[index] }

    private mutating func advance() -> Token {
        let token = tokens[index]
        if index < tokens.count - 1 { index += 1 }
        return token
    }

    private func isKeyword(_ word: String) -> Bool {
        peek.kind == .identifier && peek.text == word
    }

    private mutating func expect(_ kind: TokenKind, _ context: String) throws(ExpressionIssue) -> Token {
        guard peek.kind == kind else {
            throw ExpressionIssue(offset: peek.offset, "expected \(kind.display) \(context), found \(peek.display)")
        }
        return advance()
    }

    /// A node one level above `children`, refused at `offset` when that is beyond `maxDepth`.
    private func node(_ node: SyntaxNode, over children: Parsed..., offset: Int) throws(ExpressionIssue) -> Parsed {
        let depth = (children.map(\.depth).max() ?? 0) + 1
        if depth > Self.maxDepth { throw tooDeep(offset) }
        return Parsed(node: node, depth: depth)
    }

    private func tooDeep(_ offset: Int) -> ExpressionIssue {
        ExpressionIssue(offset: offset, "the expression nests deeper than \(Self.maxDepth) levels")
    }

    /// Counts one level of recursion; the caller undoes it with `nesting -= 1`.
    private mutating func enter(_ offset: Int) throws(ExpressionIssue) {
        nesting += 1
        if nesting > Self.maxDepth { throw tooDeep(offset) }
    }

    private func binary(_ op: BinaryOperator, _ left: Parsed, _ right: Parsed, offset: Int) throws(ExpressionIssue) -> Parsed {
        try node(.binary(op, left.node, right.node, offset: offset), over: left, right, offset: offset)
    }

    private mutating func expression() throws(ExpressionIssue) -> Parsed {
        var left = try andExpression()
        while isKeyword("or") {
            let op = advance()
            left = try binary(.or, left, try andExpression(), offset: op.offset)
        }
        return left
    }

    private mutating func andExpression() throws(ExpressionIssue) -> Parsed {
        var left = try notExpression()
        while isKeyword("and") {
            let op = advance()
            left = try binary(.and, left, try notExpression(), offset: op.offset)
        }
        return left
    }

    private mutating func notExpression() throws(ExpressionIssue) -> Parsed {
        if isKeyword("not") {
            let op = advance()
            try enter(op.offset)
            defer { nesting -= 1 }
            let inner = try notExpression()
            return try node(.not(inner.node, offset: op.offset), over: inner, offset: op.offset)
        }
        return try comparison()
    }

    private mutating func comparison() throws(ExpressionIssue) -> Parsed {
        let left = try sum()
        if peek.kind == .equal { throw ExpressionIssue(offset: peek.offset, "unexpected '=': compare with '=='") }
        guard let op = comparisonOperator(peek.kind) else { return left }
        let token = advance()
        let right = try sum()
        if comparisonOperator(peek.kind) != nil {
            throw ExpressionIssue(offset: peek.offset, "comparisons do not chain: write 'a < b and b < c'")
        }
        return try binary(op, left, right, offset: token.offset)
    }

    private func comparisonOperator(_ kind: TokenKind) -> BinaryOperator? {
        switch kind {
        case .greater: .greater
        case .greaterEqual: .greaterEqual
        case .less: .less
        case .lessEqual: .lessEqual
        case .equalEqual: .equal
        case .notEqual: .notEqual
        case .equal: nil
        default: nil
        }
    }

    private mutating func sum() throws(ExpressionIssue) -> Parsed {
        var left = try product()
        while peek.kind == .plus || peek.kind == .minus {
            let token = advance()
            left = try binary(token.kind == .plus ? .add : .subtract, left, try product(), offset: token.offset)
        }
        return left
    }

    private mutating func product() throws(ExpressionIssue) -> Parsed {
        var left = try unary()
        while peek.kind == .star || peek.kind == .slash {
            let token = advance()
            left = try binary(token.kind == .star ? .multiply : .divide, left, try unary(), offset: token.offset)
        }
        return left
    }

    private mutating func unary() throws(ExpressionIssue) -> Parsed {
        if peek.kind == .minus {
            let token = advance()
            try enter(token.offset)
            defer { nesting -= 1 }
            let inner = try unary()
            return try node(.negate(inner.node, offset: token.offset), over: inner, offset: token.offset)
        }
        return try primary()
    }

    private mutating func primary() throws(ExpressionIssue) -> Parsed {
        let token = peek
        switch token.kind {
        case .number:
            return Parsed(node: .number(advance()), depth: 1)
        case .leftParen:
            _ = advance()
            try enter(token.offset)
            defer { nesting -= 1 }
            let inner = try expression()
            let close = try expect(.rightParen, "to close its '('")
            return try node(.parenthesized(inner.node, offset: token.offset, end: close.end), over: inner, offset: token.offset)
        case .identifier:
            if Self.keywords.contains(token.text) {
                throw ExpressionIssue(offset: token.offset, "expected a value or a function before '\(token.text)'")
            }
            if let op = AggregateOperator(rawValue: token.text) {
                let next = tokens[min(index + 1, tokens.count - 1)]
                if next.kind == .leftParen || (next.kind == .identifier && next.text == "by") { return try aggregate(op) }
            }
            return Parsed(node: .call(try call()), depth: 1)
        case .equal:
            throw ExpressionIssue(offset: token.offset, "unexpected '=': compare with '=='")
        case .end:
            throw ExpressionIssue(offset: token.offset, "the expression ends too early: a value or function is missing")
        default:
            throw ExpressionIssue(offset: token.offset, "expected a number, a function or '(', found \(token.display)")
        }
    }

    private mutating func aggregate(_ op: AggregateOperator) throws(ExpressionIssue) -> Parsed {
        let name = advance()
        try enter(name.offset)
        defer { nesting -= 1 }
        var labels: [Token] = []
        if isKeyword("by") {
            _ = advance()
            labels = try labelList()
        }
        _ = try expect(.leftParen, "after \(name.text)\(labels.isEmpty ? "" : " by (...)")")
        let inner = try expression()
        let close = try expect(.rightParen, "to close \(name.text)(")
        return try node(.aggregate(op, inner.node, by: labels, offset: name.offset, end: close.end), over: inner, offset: name.offset)
    }

    private mutating func labelList() throws(ExpressionIssue) -> [Token] {
        _ = try expect(.leftParen, "after 'by'")
        var labels: [Token] = []
        while true {
            labels.append(try expect(.identifier, "(a label name) in 'by (...)'"))
            if peek.kind == .comma {
                _ = advance()
                continue
            }
            break
        }
        _ = try expect(.rightParen, "to close 'by ('")
        return labels
    }

    private mutating func call() throws(ExpressionIssue) -> CallSyntax {
        let name = advance()
        var call = CallSyntax(name: name, end: name.end)
        if peek.kind == .leftParen {
            _ = advance()
            if peek.kind == .number || peek.kind == .minus {
                let negative = peek.kind == .minus
                if negative { _ = advance() }
                var number = try expect(.number, "as the quantile")
                if negative {
                    number.number = -number.number
                    number.text = "-" + number.text
                }
                call.quantile = number
                if peek.kind != .rightParen { _ = try expect(.comma, "after the quantile") }
            }
            if peek.kind == .leftBrace { try selector(into: &call) }
            if peek.kind == .range { call.range = advance() }
            let close = try expect(.rightParen, "to close the arguments of \(name.text)(")
            call.end = close.end
        } else {
            if peek.kind == .leftBrace { try selector(into: &call) }
            if peek.kind == .range {
                let range = advance()
                call.range = range
                call.end = range.end
            }
        }
        if isKeyword("by") {
            _ = advance()
            call.grouping = try labelList()
            call.end = tokens[index - 1].end
        }
        return call
    }

    private mutating func selector(into call: inout CallSyntax) throws(ExpressionIssue) {
        let open = advance()
        call.selectorOffset = open.offset
        while peek.kind != .rightBrace {
            let label = try expect(.identifier, "(a label name) in the selector")
            let opToken = advance()
            let op: MatchOperator
            switch opToken.kind {
            case .equal: op = .equal
            case .notEqual: op = .notEqual
            case .regexMatch: op = .regex
            case .regexNotMatch: op = .notRegex
            case .equalEqual:
                throw ExpressionIssue(offset: opToken.offset, "label matchers use '=', not '=='")
            default:
                throw ExpressionIssue(offset: opToken.offset, "expected '=', '!=', '=~' or '!~' after the label '\(label.text)', found \(opToken.display)")
            }
            let value = try expect(.string, "(the quoted value) after \(opToken.kind.display)")
            call.matchers.append(MatcherSyntax(label: label, op: op, value: value))
            if peek.kind == .comma {
                _ = advance()
                continue
            }
            guard peek.kind == .rightBrace else {
                throw ExpressionIssue(offset: peek.offset, "expected ',' or '}' in the selector, found \(peek.display)")
            }
        }
        let close = advance()
        call.end = close.end
    }
}
