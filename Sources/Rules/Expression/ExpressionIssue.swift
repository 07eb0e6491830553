/// A problem in a `when:` expression, at an offset (in Unicode scalars, the unit YAML columns
/// count in) into the expression text; the rule reader turns it into file:line:column.
public struct ExpressionIssue: Error, Sendable, Equatable, CustomStringConvertible {
    public var offset: Int
    public var message: String

    public init(offset: Int, _ message: String) {
        self.offset = offset
        self.message = message
    }

    public var description: String { "column +\(offset): \(message)" }
}
