public import BallastCore

/// One thing an evaluation changed, with why: what the gateway applies, counts in metrics and
/// writes to the audit table (`auditEvent`).
public struct StateChange: Sendable, Equatable, CustomStringConvertible {
    /// What changed, typed, for code that reacts to particular changes.
    public enum Subject: Sendable, Equatable {
        case rule(RuleInstance)
        case circuit(CircuitTarget)
        case degradation
        case route(region: String)
        case rules
    }

    public var subject: Subject
    /// Wall-clock seconds.
    public var time: Double
    public var kind: AuditEvent.Kind
    /// `region=primary`, `model=claude-opus-4-1`, `degradation`, `rule=primary-failing`.
    public var target: String
    /// The new state: `open`, `half_open`, `closed`, `refused_open`, `level=2`, `weight=0`,
    /// `firing`, `resolved`, `reloaded`.
    public var action: String
    /// The rule's expression with the values of its functions, or the state machine's own
    /// account (probe results, hold-down).
    public var reason: String
    /// `rule:<name>`, `operator:<name>`, or `ballast` for built-in safeguards.
    public var actor: String

    public init(
        subject: Subject, time: Double, kind: AuditEvent.Kind, target: String, action: String, reason: String,
        actor: String
    ) {
        self.subject = subject
        self.time = time
        self.kind = kind
        self.target = target
        self.action = action
        self.reason = reason
        self.actor = actor
    }

    public var auditEvent: AuditEvent {
        AuditEvent(time: time, kind: kind, target: target, action: action, reason: reason, actor: actor)
    }

    /// `circuit_changed region=primary open`: the form rule tests expect events in.
    public var summary: String { "\(kind.rawValue) \(target) \(action)" }

    public var description: String { "\(summary) by \(actor): \(reason)" }
}
