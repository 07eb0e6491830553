import BallastCore

/// Checks a parsed expression (function and label names, windows, matchers, types) and turns
/// it into an evaluable `Expr`. It keeps going after a problem, so one expression with three
/// mistakes reports three issues.
struct ExpressionCompiler {
    private let scalars: [Unicode.Scalar]
    /// Region names the rules may name; empty when unknown (then names are not checked).
    private let regions: [String]
    private let maxWindow: Double
    private(set) var nextID: Int
    private(set) var issues: [ExpressionIssue] = []

    init(text: String, regions: [String], maxWindow: Double, firstID: Int) {
        scalars = Array(text.unicodeScalars)
        self.regions = regions
        self.maxWindow = maxWindow
        nextID = firstID
    }

    /// Parses and checks `text`. `nextID` is where call ids continue from, so that ids stay
    /// unique across a rule set.
    static func compile(
        _ text: String, regions: [String], maxWindow: Double,
        nextID: inout Int
    ) -> Result<CompiledExpression, ExpressionError> {
        let syntax: SyntaxNode
        switch ExpressionParser.parse(text) {
        case .failure(let issue): return .failure(ExpressionError([issue]))
        case .success(let node): syntax = node
        }
        var compiler = ExpressionCompiler(text: text, regions: regions, maxWindow: maxWindow, firstID: nextID)
        let checked = compiler.check(syntax)
        nextID = compiler.nextID
        if let (expr, type) = checked, type.kind != .condition {
            compiler.issues.append(ExpressionIssue(offset: 0, "'when' must be a condition such as error_ratio[1m] > 0.5, but this expression is a number"))
            _ = expr
        }
        guard let (expr, type) = checked, compiler.issues.isEmpty else {
            return .failure(ExpressionError(compiler.issues.sorted { $0.offset < $1.offset }))
        }
        return .success(CompiledExpression(text: text, expr: expr, grouping: type.grouping))
    }

    private mutating func issue(_ offset: Int, _ message: String) {
        issues.append(ExpressionIssue(offset: offset, message))
    }

    mutating func check(_ node: SyntaxNode) -> (Expr, ExprType)? {
        switch node {
        case .number(let token):
            return (.number(token.number), .number)
        case .parenthesized(let inner, _, _):
            return check(inner)
        case .aggregate(let op, let inner, let labels, let offset, _):
            guard let (expr, type) = check(inner) else { return nil }
            guard type.kind == .number else {
                issue(offset, "\(op.rawValue) aggregates numbers, but a condition is inside; compare the result instead: \(op.rawValue)(...) > 0.5")
                return nil
            }
            guard let grouping = groupingLabels(labels) else { return nil }
            if !type.grouping.isSuperset(of: grouping) {
                issue(
                    labels.first?.offset ?? offset,
                    "\(op.rawValue) by \(grouping) needs the expression inside grouped by at least \(grouping), but it is grouped by \(type.grouping)")
                return nil
            }
            return (.aggregate(op, expr, grouping), ExprType(kind: .number, grouping: grouping))
        case .call(let call):
            guard let checked = checkCall(call) else { return nil }
            return (.call(checked), ExprType(kind: .number, grouping: checked.grouping))
        case .negate(let inner, let offset):
            guard let (expr, type) = check(inner) else { return nil }
            guard type.kind == .number else {
                issue(offset, "'-' needs a number, but a condition follows it")
                return nil
            }
            return (.negate(expr), type)
        case .not(let inner, let offset):
            guard let (expr, type) = check(inner) else { return nil }
            guard type.kind == .condition else {
                issue(offset, "'not' needs a condition such as error_ratio[1m] > 0.5, but a number follows it")
                return nil
            }
            return (.not(expr), type)
        case .binary(let op, let leftNode, let rightNode, let offset):
            let left = check(leftNode)
            let right = check(rightNode)
            guard let (a, ta) = left, let (b, tb) = right else { return nil }
            let grouping = ta.grouping.union(tb.grouping)
            if op.isLogical {
                var ok = true
                if ta.kind != .condition {
                    issue(offset, "'\(op.rawValue)' joins conditions, but its left side is a number (compare it, e.g. '> 0.5')")
                    ok = false
                }
                if tb.kind != .condition {
                    issue(offset, "'\(op.rawValue)' joins conditions, but its right side is a number (compare it, e.g. '> 0.5')")
                    ok = false
                }
                return ok ? (.logical(op, a, b), ExprType(kind: .condition, grouping: grouping)) : nil
            }
            guard ta.kind == .number, tb.kind == .number else {
                let what = op.isComparison ? "compares numbers" : "works on numbers"
                issue(offset, "'\(op.rawValue)' \(what), but one side is a condition; join conditions with 'and' or 'or'")
                return nil
            }
            if op.isComparison {
                return (.comparison(op, a, b), ExprType(kind: .condition, grouping: grouping))
            }
            return (.arithmetic(op, a, b), ExprType(kind: .number, grouping: grouping))
        }
    }

    private mutating func checkCall(_ call: CallSyntax) -> WindowCall? {
        let name = call.name
        var valid = true
        guard let function = WindowFunction(rawValue: name.text) else {
            issue(name.offset, "unknown function '\(name.text)' (known: \(WindowFunction.names))")
            return nil
        }
        var quantile = 0.0
        if function.takesQuantile {
            if let token = call.quantile {
                quantile = token.number
                if !(0...1).contains(quantile) {
                    issue(token.offset, "the quantile must be between 0 and 1, such as 0.99, not \(token.text)")
                    valid = false
                }
            } else {
                issue(name.offset, "\(name.text) needs a quantile: \(name.text)(0.99, {region=\"...\"}[5m])")
                valid = false
            }
        } else if let token = call.quantile {
            issue(token.offset, "\(name.text) takes no number argument; write \(name.text){...}[1m]")
            valid = false
        }
        var window = 0.0
        if let range = call.range {
            if let seconds = DurationText.seconds(range.text) {
                window = seconds
                if seconds < 1 || seconds > maxWindow {
                    issue(range.offset + 1, "the window must be between 1s and \(DurationText.format(maxWindow)) (the telemetry kept), not \(range.text)")
                    valid = false
                }
            } else {
                issue(range.offset + 1, "bad window '\(range.text)': write a duration such as 30s, 5m or 1h")
                valid = false
            }
        } else {
            issue(call.end, "\(name.text) needs a window, such as \(name.text)\(call.selectorOffset == nil ? "" : "{...}")[30s]")
            valid = false
        }
        var regionMatchers: [LabelMatcher] = []
        var modelMatchers: [LabelMatcher] = []
        var classes = function.defaultClasses
        var sawClass = false
        var level: SeriesLevel?
        var canarySide: CanarySelector.Side?
        var migration: (name: String, offset: Int)?
        for matcher in call.matchers {
            guard let label = SeriesLabel(rawValue: matcher.label.text) else {
                issue(matcher.label.offset, "unknown label '\(matcher.label.text)' (known: region, model, class, level, canary, migration)")
                valid = false
                continue
            }
            switch label {
            case .level:
                guard let selected = levelValue(matcher) else {
                    valid = false
                    continue
                }
                if let level, level != selected {
                    issue(matcher.value.offset, "level is already \(level.rawValue); a series is either requests or attempts")
                    valid = false
                    continue
                }
                level = selected
            case .canary:
                guard matcher.op == .equal else {
                    issue(matcher.label.offset, "canary takes = with \"old\" or \"new\"")
                    valid = false
                    continue
                }
                guard let side = CanarySelector.Side(rawValue: matcher.value.text) else {
                    issue(matcher.value.offset, "unknown canary side '\(matcher.value.text)' (known: old, new)")
                    valid = false
                    continue
                }
                canarySide = side
            case .migration:
                guard matcher.op == .equal, !matcher.value.text.isEmpty else {
                    issue(matcher.label.offset, "migration takes = with a canary's name")
                    valid = false
                    continue
                }
                migration = (matcher.value.text, matcher.label.offset)
            case .class:
                guard function.acceptsClass else {
                    issue(matcher.label.offset, "\(function.rawValue) does not take a 'class' matcher")
                    valid = false
                    continue
                }
                guard let selected = classSet(matcher) else {
                    valid = false
                    continue
                }
                classes = sawClass ? classes.intersection(selected) : selected
                sawClass = true
            case .region, .model:
                guard let checked = labelMatcher(matcher, label: label) else {
                    valid = false
                    continue
                }
                if label == .region { regionMatchers.append(checked) } else { modelMatchers.append(checked) }
            }
        }
        let grouping = groupingLabels(call.grouping ?? [])
        if grouping == nil { valid = false }
        var canary: CanarySelector?
        if let canarySide {
            canary = CanarySelector(side: canarySide, migration: migration?.name)
            if level == .request {
                issue(call.name.offset, "canary series count upstream attempts; drop level=\"request\"")
                valid = false
            }
            if window > SeriesLevel.attemptRetention, let range = call.range {
                issue(
                    range.offset + 1,
                    "canary attempts are kept for \(DurationText.format(SeriesLevel.attemptRetention)); "
                        + "the window must not be longer, not \(range.text)")
                valid = false
            }
        } else if let migration {
            issue(migration.offset, "migration needs a side as well: {canary=\"new\", migration=\"\(migration.name)\"}")
            valid = false
        }
        if level == .attempt, window > SeriesLevel.attemptRetention, let range = call.range {
            issue(
                range.offset + 1,
                "attempts are kept for \(DurationText.format(SeriesLevel.attemptRetention)); "
                    + "a level=\"attempt\" window must not be longer, not \(range.text)")
            valid = false
        }
        guard valid else { return nil }
        let id = nextID
        nextID += 1
        return WindowCall(
            id: id, function: function, quantile: quantile, regionMatchers: regionMatchers,
            modelMatchers: modelMatchers, classes: classes, level: level, canary: canary, window: window,
            grouping: grouping ?? [],
            text: text(call.name.offset, call.end))
    }

    /// The labels of a `by (...)` clause; nil (with issues) when one is not region or model.
    private mutating func groupingLabels(_ labels: [Token]) -> Grouping? {
        var grouping: Grouping = []
        var valid = true
        for labelToken in labels {
            let member: Grouping
            switch SeriesLabel(rawValue: labelToken.text) {
            case .region: member = .region
            case .model: member = .model
            case .class:
                issue(labelToken.offset, "cannot group by 'class'; select classes with {class=\"...\"}")
                valid = false
                continue
            case .level:
                issue(labelToken.offset, "cannot group by 'level'; select one with {level=\"attempt\"} or {level=\"request\"}")
                valid = false
                continue
            case .canary, .migration:
                issue(labelToken.offset, "cannot group by '\(labelToken.text)'; select one with {canary=\"new\", migration=\"...\"}")
                valid = false
                continue
            case nil:
                issue(labelToken.offset, "unknown label '\(labelToken.text)' in 'by' (known: region, model)")
                valid = false
                continue
            }
            if grouping.contains(member) {
                issue(labelToken.offset, "'\(labelToken.text)' is listed twice in 'by'")
                valid = false
            }
            grouping.insert(member)
        }
        return valid ? grouping : nil
    }

    /// `level="attempt"`, `level="request"`, or `!=` for the other one.
    private mutating func levelValue(_ matcher: MatcherSyntax) -> SeriesLevel? {
        let value = matcher.value
        guard matcher.op == .equal || matcher.op == .notEqual else {
            issue(matcher.label.offset, "level takes = or != with \"attempt\" or \"request\", not a regular expression")
            return nil
        }
        guard let named = SeriesLevel(rawValue: value.text) else {
            issue(value.offset, "unknown level '\(value.text)' (known: attempt, request)")
            return nil
        }
        if matcher.op == .equal { return named }
        return named == .attempt ? .request : .attempt
    }

    /// `class="upstream|local"` (a set), `class!="success"`, `class=~"up.*"`, `class!~"..."`.
    private mutating func classSet(_ matcher: MatcherSyntax) -> OutcomeClassSet? {
        let value = matcher.value
        let known = OutcomeClass.allCases.map(\.rawValue).joined(separator: ", ")
        var selected: OutcomeClassSet
        switch matcher.op {
        case .equal, .notEqual:
            var set: OutcomeClassSet = []
            for name in value.text.split(separator: "|", omittingEmptySubsequences: false) {
                guard let outcome = OutcomeClass(rawValue: String(name)) else {
                    issue(value.offset, "unknown outcome class '\(name)' (known: \(known))")
                    return nil
                }
                set.insert(OutcomeClassSet([outcome]))
            }
            selected = matcher.op == .equal ? set : OutcomeClassSet.all.subtracting(set)
        case .regex, .notRegex:
            let pattern: PatternMatcher
            do {
                pattern = try PatternMatcher(value.text)
            } catch {
                issue(value.offset, "invalid regular expression: \(error.message)")
                return nil
            }
            let matching = OutcomeClass.allCases.filter { pattern.matches($0.rawValue) }
            selected = OutcomeClassSet(matching)
            if matcher.op == .notRegex { selected = OutcomeClassSet.all.subtracting(selected) }
        }
        if selected.isEmpty {
            issue(value.offset, "this class matcher selects no outcome class (known: \(known))")
            return nil
        }
        return selected
    }

    private mutating func labelMatcher(_ matcher: MatcherSyntax, label: SeriesLabel) -> LabelMatcher? {
        let value = matcher.value
        switch matcher.op {
        case .equal, .notEqual:
            if label == .region, !regions.isEmpty, !regions.contains(value.text) {
                issue(value.offset, "unknown region '\(value.text)' (known: \(regions.joined(separator: ", ")))")
                return nil
            }
            if value.text.isEmpty {
                issue(value.offset, "an empty \(label.rawValue) never matches; leave the matcher out to select every \(label.rawValue)")
                return nil
            }
            return LabelMatcher(op: matcher.op, value: value.text, pattern: nil)
        case .regex, .notRegex:
            do {
                let pattern = try PatternMatcher(value.text)
                return LabelMatcher(op: matcher.op, value: value.text, pattern: pattern)
            } catch {
                issue(value.offset, "invalid regular expression: \(error.message)")
                return nil
            }
        }
    }

    private func text(_ from: Int, _ to: Int) -> String {
        var view = String.UnicodeScalarView()
        view.append(contentsOf: scalars[from..<min(to, scalars.count)])
        return String(view)
    }
}
