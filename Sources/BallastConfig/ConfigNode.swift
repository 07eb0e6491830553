import BallastCore
public import Yams

/// A YAML node with its file position, and typed readers that record problems in a shared
/// `ConfigIssues` instead of throwing, so one pass reports every mistake in a file.
///
/// Typical use:
/// ```swift
/// let issues = ConfigIssues()
/// guard let root = ConfigNode.parse(text, file: path, issues: issues) else { throw issues.error }
/// let map = root.mapping(keys: ["listen", "admin"])
/// let listen = map?.string("listen") ?? "127.0.0.1:8080"
/// ```
public struct ConfigNode {
    public let node: Node
    public let file: String
    public let issues: ConfigIssues

    public init(node: Node, file: String, issues: ConfigIssues) {
        self.node = node
        self.file = file
        self.issues = issues
    }

    /// Parses YAML text; a syntax error is recorded (with its position) and nil returned.
    /// An empty document yields an empty mapping.
    /// A document beyond `YAMLBounds` (nesting, aliases) is refused before Yams sees it.
    public static func parse(_ text: String, file: String, issues: ConfigIssues) -> ConfigNode? {
        if let issue = YAMLBounds.issue(in: text, file: file) {
            issues.add(issue.location, issue.message)
            return nil
        }
        do {
            let node = try Yams.compose(yaml: text) ?? Node.mapping(Node.Mapping([]))
            return ConfigNode(node: node, file: file, issues: issues)
        } catch let error as YamlError {
            issues.add(Self.location(of: error, file: file), Self.message(of: error))
            return nil
        } catch {
            issues.add(SourceLocation(file: file, line: 1, column: 1), "\(error)")
            return nil
        }
    }

    public var location: SourceLocation {
        SourceLocation(file: file, line: node.mark?.line ?? 1, column: node.mark?.column ?? 1)
    }

    public func error(_ message: String) {
        issues.add(location, message)
    }

    // MARK: Scalars

    /// The scalar text, or nil (with an issue) when the node is not a scalar.
    public func scalarText(what: String) -> String? {
        guard case .scalar(let scalar) = node else {
            error("\(what) must be a single value")
            return nil
        }
        return scalar.string
    }

    public func string(what: String = "value") -> String? { scalarText(what: what) }

    public func int(what: String = "value") -> Int? {
        guard let text = scalarText(what: what) else { return nil }
        guard let value = Int(text.replacingUnderscores()) else {
            error("\(what) must be a whole number, not '\(text)'")
            return nil
        }
        return value
    }

    public func double(what: String = "value") -> Double? {
        guard let text = scalarText(what: what) else { return nil }
        guard let value = Double(text.replacingUnderscores()), value.isFinite else {
            error("\(what) must be a number, not '\(text)'")
            return nil
        }
        return value
    }

    public func bool(what: String = "value") -> Bool? {
        guard let text = scalarText(what: what) else { return nil }
        switch text.lowercased() {
        case "true", "yes", "on": return true
        case "false", "no", "off": return false
        default:
            error("\(what) must be true or false, not '\(text)'")
            return nil
        }
    }

    /// A duration such as `250ms`, `2s`, `10m`, in seconds. A bare number means seconds.
    public func duration(what: String = "duration") -> Double? {
        guard let text = scalarText(what: what) else { return nil }
        if let plain = Double(text), plain >= 0, plain.isFinite { return plain }
        guard let seconds = DurationText.seconds(text) else {
            error("\(what) must be a duration such as 500ms, 2s or 10m, not '\(text)'")
            return nil
        }
        return seconds
    }

    /// A ratio in [0, 1]; `5%` is accepted too.
    public func ratio(what: String = "ratio") -> Double? {
        guard let text = scalarText(what: what) else { return nil }
        let value: Double?
        if text.hasSuffix("%") { value = Double(text.dropLast()).map { $0 / 100 } } else { value = Double(text) }
        guard let value, value >= 0, value <= 1 else {
            error("\(what) must be between 0 and 1 (or 0% and 100%), not '\(text)'")
            return nil
        }
        return value
    }

    // MARK: Collections

    /// The node as a mapping whose keys must all be in `keys`; unknown and repeated keys are
    /// reported with their own position (libyaml accepts a repeated key, and silently using
    /// one of the two values would hide a mistake). Nil (with an issue) when the node is not
    /// a mapping.
    public func mapping(what: String = "section", keys: Set<String>) -> ConfigMapping? {
        guard case .mapping(let mapping) = node else {
            error("\(what) must be a mapping of keys to values")
            return nil
        }
        var entries: [(key: ConfigNode, value: ConfigNode)] = []
        var firstLine: [String: Int] = [:]
        for (key, value) in mapping {
            let keyNode = ConfigNode(node: key, file: file, issues: issues)
            let name = key.string ?? ""
            if !keys.contains(name) {
                let known = keys.sorted().joined(separator: ", ")
                keyNode.error("unknown key '\(name)' in \(what) (known: \(known))")
                continue
            }
            if let line = firstLine[name] {
                keyNode.error("duplicate key '\(name)' in \(what) (first given at line \(line))")
                continue
            }
            firstLine[name] = keyNode.location.line
            entries.append((keyNode, ConfigNode(node: value, file: file, issues: issues)))
        }
        return ConfigMapping(owner: self, what: what, entries: entries)
    }

    /// The node as a sequence, or nil (with an issue).
    public func sequence(what: String = "list") -> [ConfigNode]? {
        guard case .sequence(let sequence) = node else {
            error("\(what) must be a list")
            return nil
        }
        return sequence.map { ConfigNode(node: $0, file: file, issues: issues) }
    }

    /// A list of strings; a single string is accepted as a list of one.
    public func strings(what: String = "list") -> [String]? {
        if case .scalar(let scalar) = node { return [scalar.string] }
        return sequence(what: what)?.compactMap { $0.string(what: "each entry of \(what)") }
    }

    private static func location(of error: YamlError, file: String) -> SourceLocation {
        switch error {
        case .scanner(_, _, let mark, _), .parser(_, _, let mark, _), .composer(_, _, let mark, _):
            return SourceLocation(file: file, line: mark.line, column: mark.column)
        default:
            return SourceLocation(file: file, line: 1, column: 1)
        }
    }

    private static func message(of error: YamlError) -> String {
        switch error {
        case .scanner(_, let problem, _, _), .parser(_, let problem, _, _), .composer(_, let problem, _, _):
            return "YAML syntax error: \(problem)"
        default:
            return "YAML error: \(error)"
        }
    }
}

extension String {
    fileprivate func replacingUnderscores() -> String {
        String(filter { $0 != "_" })
    }
}
