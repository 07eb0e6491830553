/// What a firing rule does. A rule without an action only fires (and shows in
/// `ballast_rule_firing`), which suits signals that other rules and operators watch.
public enum RuleAction: Sendable, Equatable {
    case circuit(CircuitAction)
    case degrade(DegradeAction)
    case route(RouteAction)
    case canary(CanaryAction)

    /// `circuit`, `degrade` or `route`.
    public var kind: String {
        switch self {
        case .circuit: "circuit"
        case .degrade: "degrade"
        case .route: "route"
        case .canary: "canary"
        }
    }
}
