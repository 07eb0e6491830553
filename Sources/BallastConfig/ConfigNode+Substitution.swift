import Yams

extension ConfigNode {
    /// The same tree with `${VAR}` references in every scalar value replaced (keys stay as
    /// written: a key from the environment would make the file unreadable on its own). Each
    /// problem is an issue at its scalar, with the column of the reference when the scalar is
    /// plain and on one line, so all of them are reported in one pass with the rest.
    public func substitutingEnvironment(_ environment: [String: String]) -> ConfigNode {
        ConfigNode(node: Self.substitute(node, environment: environment, file: file, issues: issues), file: file, issues: issues)
    }

    private static func substitute(_ node: Node, environment: [String: String], file: String, issues: ConfigIssues) -> Node {
        node.mappingScalarValues { original in
            var scalar = original
            switch EnvironmentSubstitution.expand(scalar.string, environment: environment) {
            case .text(let text):
                if text != scalar.string {
                    scalar.string = text
                    // Setting the text resets the tag; a quoted scalar stays a string.
                    scalar.tag = original.tag
                }
            case .problems(let problems):
                let line = scalar.mark?.line ?? 1
                let column = scalar.mark?.column ?? 1
                let exact = scalar.style == .plain && !scalar.string.contains("\n")
                for problem in problems {
                    issues.add(SourceLocation(file: file, line: line, column: exact ? column + problem.offset : column), problem.message)
                }
                issues.silence(SourceLocation(file: file, line: line, column: column))
            }
            return scalar
        }
    }
}
