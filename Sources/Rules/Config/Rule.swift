public import BallastConfig

/// One rule: a condition over telemetry, how long it must hold, and what to do while it does.
public struct Rule: Sendable {
    public var key: RuleKey
    public var expression: CompiledExpression
    /// `for:`, how long the condition must hold before the rule fires (pending until then).
    public var pendingFor: Duration
    public var action: RuleAction?
    /// `description:`, for operators reading the rule and the status page.
    public var summary: String?
    /// Where the rule starts in its file.
    public var location: SourceLocation

    public var name: String { key.rule }
}
