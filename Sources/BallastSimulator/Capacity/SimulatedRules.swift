import BallastCore
import Rules
import RulesRuntime
import Resilience

/// The shipped rule files on the simulation's clock, evaluated by the real engine as the rule
/// controller (`RuleController`) evaluates them in the gateway: `RuleEngine.evaluate` over the
/// engine's state every `RuleSet.tickInterval`, the capacity shortage read from the proxy's
/// `CallPolicy` at each tick, the weights handed to the router, and the circuits read per
/// request with the same functions the controller uses (`RuleEngineState.admit`, `isOpen`,
/// `probeRegion`).
///
/// What the rules read is what the gateway's `TelemetryWindowSource` gives them for these
/// rules: attempt-level series from the real `AttemptWindows`, fed as the proxy feeds it
/// (every attempt of a request when the request ends, cancelled ones skipped; an attempt whose
/// first byte fell overdue at that moment, and never again). Request-level series read nothing:
/// they drive the degradation ladder and a model's fallback, and the simulation has neither (one
/// model without a fallback, and degradation acts before the call machine). No operator
/// overrides, no other instances.
struct SimulatedRules {
    /// The model every simulated request asks for.
    static let model = "model"

    let ruleSet: RuleSet
    private(set) var engine = RuleEngineState()
    let attempts = AttemptWindows()
    /// Every circuit and route change, in order, at the simulation's time.
    private(set) var changes: [CapacityOutcome.RuleChange] = []

    /// `rules` with the scenario's regions as the configuration's.
    init(rules: RuleSet, regions: [RuleRegion]) {
        ruleSet = RuleSet(
            groups: rules.groups, degradation: rules.degradation, routing: rules.routing,
            context: RuleContext(regions: regions, maxWindow: rules.context.maxWindow), files: rules.files)
    }

    /// One evaluation step at `time` (seconds of the simulation), as `RuleController.tick`:
    /// evaluate, apply the weights to `router`. Returns the regions whose own circuit opened
    /// and those whose own circuit closed.
    mutating func tick(
        at time: RuleTime, simulated: Double, shortage: CapacityShortage, router: Router
    ) -> (opened: [String], closed: [String]) {
        let source = Source(attempts: attempts, regions: ruleSet.regions.map(\.name))
        let result = RuleEngine.evaluate(ruleSet, state: engine, source: source, now: time, capacity: shortage)
        engine = result.state
        let weights = OperatorOverrides().weights(rules: engine, regions: ruleSet.regions, totalRate: nil)
        if !weights.isEmpty { router.setWeights(weights) }
        var out: [String] = []
        var back: [String] = []
        for change in result.changes {
            switch change.subject {
            case .circuit, .route:
                changes.append(CapacityOutcome.RuleChange(time: simulated, target: change.target, action: change.action))
            case .rule, .degradation, .rules:
                break
            }
            if let region = change.openedRegion { out.append(region) }
            if let region = change.closedRegion { back.append(region) }
        }
        return (out, back)
    }

    /// Takes a probe permit when the circuit is half-open, as `RuleController.admit` does.
    mutating func admit(region: String, model: String?, at now: MonotonicInstant) -> CircuitStatus {
        engine.admit(region: region, model: model, at: now)
    }

    /// The gateway's view of the attempt windows, for the engine.
    struct Source: WindowSource {
        let attempts: AttemptWindows
        let regions: [String]

        func window(_ query: WindowQuery, wallTime: Double) -> WindowResult {
            guard query.level == .attempt, query.canary == nil else { return .empty }
            return attempts.window(
                regions: query.regions, models: query.models, length: query.window, failing: query.failureClasses, wallTime: wallTime)
        }

        func labelValues(_ label: SeriesLabel) -> [String] {
            switch label {
            case .region: regions
            case .model: [SimulatedRules.model]
            default: []
            }
        }
    }
}
