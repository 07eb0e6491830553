import BallastCore
/// The rule engine's two operations, both pure functions of their inputs: an evaluation step
/// and a reload. The gateway runs a thin loop around them (tick every
/// `RuleSet.tickInterval`, apply the new state, write the changes to the audit table); tests
/// call them directly at chosen times.
public enum RuleEngine {
    /// Evaluates the groups whose interval has elapsed at `now` and moves circuits,
    /// degradation and routes on by time. Each distinct telemetry query is asked once.
    /// `capacity` says which regions are short of serving capacity now (the gateway's pacer):
    /// a region whose circuit closed then gets its weight back at once instead of after a
    /// hold-down (`RegionalSwitcher.failBackAtOnce`).
    public static func evaluate(
        _ ruleSet: RuleSet, state: RuleEngineState, source: some WindowSource,
        now: RuleTime, capacity: CapacityShortage = .none
    ) -> RuleEvaluation {
        var step = EvaluationStep(ruleSet: ruleSet, state: state, source: source, now: now, capacity: capacity)
        step.run()
        return RuleEvaluation(
            state: step.state, changes: step.changes, evaluatedGroups: step.evaluatedGroups,
            queries: step.context.queries)
    }

    /// Moves the state over to a newly loaded rule set. Rules whose group and name are
    /// unchanged keep their pending/firing state; rules that are gone resolve, and their
    /// degradation demands and route shifts start their normal recovery (no sudden jumps).
    /// Circuits keep their state and recover by their own policy.
    /// - Parameter actor: who asked: `operator:<name>`, or `ballast` for SIGHUP and file changes.
    public static func reload(
        state: RuleEngineState, from old: RuleSet, to new: RuleSet, now: RuleTime,
        actor: String
    ) -> RuleEvaluation {
        var state = state
        var changes: [StateChange] = []
        var rules: [RuleKey: Rule] = [:]
        for rule in new.rules { rules[rule.key] = rule }
        for key in state.alerts.keys.sorted() where rules[key] == nil {
            for (labels, alert) in (state.alerts[key] ?? [:]).sorted(by: { $0.key < $1.key }) where alert.phase == .firing {
                let instance = RuleInstance(key: key, labels: labels)
                changes.append(
                    StateChange(
                        subject: .rule(instance), time: now.wall, kind: .ruleResolved,
                        target: "rule=\(instance)", action: "resolved", reason: "the rule was removed by a reload",
                        actor: actor))
            }
            state.alerts[key] = nil
        }
        state.degradation.releaseAll(at: now.monotonic) { instance in
            guard case .degrade = rules[instance.key]?.action else { return true }
            return false
        }
        state.routing.releaseAll(at: now.monotonic) { region, owner in
            guard case .rule(let instance) = owner else { return false }
            guard case .route(let route) = rules[instance.key]?.action else { return true }
            return route.resolveRegion(instance.labels) != region
        }
        state.lastValues = state.lastValues.filter { rules[$0.key] != nil }
        let groupNames = Set(new.groups.map(\.name))
        state.lastEvaluation = state.lastEvaluation.filter { groupNames.contains($0.key) }
        let oldNames = Set(old.rules.map(\.name))
        let newNames = Set(new.rules.map(\.name))
        var reason = "\(new.files.count) files, \(new.groups.count) groups, \(new.rules.count) rules"
        let added = newNames.subtracting(oldNames).sorted()
        let removed = oldNames.subtracting(newNames).sorted()
        if !added.isEmpty { reason += "; added: \(added.joined(separator: ", "))" }
        if !removed.isEmpty { reason += "; removed: \(removed.joined(separator: ", "))" }
        changes.append(
            StateChange(
                subject: .rules, time: now.wall, kind: .rulesReloaded, target: "rules", action: "reloaded",
                reason: reason, actor: actor))
        return RuleEvaluation(state: state, changes: changes)
    }
}
