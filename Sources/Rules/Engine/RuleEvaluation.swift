public import BallastCore

/// The result of one evaluation step (or a reload): the new state and what changed.
public struct RuleEvaluation: Sendable {
    public var state: RuleEngineState
    public var changes: [StateChange]
    /// Groups whose interval had elapsed and which were evaluated.
    public var evaluatedGroups: [String]
    /// Calls made to the window source (each distinct query once).
    public var queries: Int

    public init(state: RuleEngineState, changes: [StateChange], evaluatedGroups: [String] = [], queries: Int = 0) {
        self.state = state
        self.changes = changes
        self.evaluatedGroups = evaluatedGroups
        self.queries = queries
    }

    /// The changes as audit-table rows.
    public var auditEvents: [AuditEvent] { changes.map(\.auditEvent) }
}
