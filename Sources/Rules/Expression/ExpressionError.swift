/// Every problem found in one expression, in text order.
public struct ExpressionError: Error, Sendable, Equatable, CustomStringConvertible {
    public var issues: [ExpressionIssue]

    public init(_ issues: [ExpressionIssue]) { self.issues = issues }

    public var description: String { issues.map(\.description).joined(separator: "\n") }
}
