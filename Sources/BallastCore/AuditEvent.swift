/// One action Ballast or an operator took: what changed, why, and who decided.
public struct AuditEvent: Sendable, Equatable {
    public enum Kind: String, Sendable, CaseIterable, Codable {
        case ruleFired = "rule_fired"
        case ruleResolved = "rule_resolved"
        case circuitChanged = "circuit_changed"
        case routeShifted = "route_shifted"
        case degradationChanged = "degradation_changed"
        case operatorOverride = "operator_override"
        case rulesReloaded = "rules_reloaded"
        case canaryChanged = "canary_changed"
        case clientsReloaded = "clients_reloaded"
    }

    public var time: Double
    public var kind: Kind
    /// What was acted on, e.g. `region=primary` or `model=claude-opus-4-7`.
    public var target: String
    /// The new state or the action, e.g. `open`, `weight=0`, `level=2`.
    public var action: String
    /// Why: the rule's expression and its value, or the operator's reason.
    public var reason: String
    /// `rule:<name>`, `operator:<name>` or `ballast` for built-in safeguards.
    public var actor: String

    public init(time: Double, kind: Kind, target: String, action: String, reason: String, actor: String) {
        self.time = time
        self.kind = kind
        self.target = target
        self.action = action
        self.reason = reason
        self.actor = actor
    }
}
