import BallastCore

/// One run of `RuleEngine.evaluate`: evaluates the groups that are due, applies their
/// actions, then moves every state machine on by time. Holds the step's working state; it
/// never outlives the call.
struct EvaluationStep {
    let ruleSet: RuleSet
    let now: RuleTime
    /// The regions short of serving capacity at `now`.
    let capacity: CapacityShortage
    let context: EvaluationContext
    let evaluator: ExprEvaluator
    var state: RuleEngineState
    private(set) var changes: [StateChange] = []
    private(set) var evaluatedGroups: [String] = []
    /// Why the route weights are about to change, and who changed them.
    private var routeReasons: [(actor: String, reason: String)] = []
    private var routingDirty = false

    /// A refused action not asked for again within this long ends its episode; the next
    /// refusal is audited again.
    static let refusalRepeat: Duration = .seconds(60)

    /// A region still serving whose attempts failed (429s aside) more than half of the time
    /// over this window, with at least `failingAttempts` of them, is failing now.
    static let failingWindow = 2.0
    static let failingAttempts = 5

    init(ruleSet: RuleSet, state: RuleEngineState, source: any WindowSource, now: RuleTime, capacity: CapacityShortage = .none) {
        self.ruleSet = ruleSet
        self.state = state
        self.now = now
        self.capacity = capacity
        context = EvaluationContext(source: source, wallTime: now.wall, regions: ruleSet.regions.map(\.name))
        evaluator = ExprEvaluator(context: context)
    }

    private var mono: MonotonicInstant { now.monotonic }

    mutating func run() {
        if state.routedRegions != ruleSet.regions {
            state.routedRegions = ruleSet.regions
            routingDirty = true
        }
        state.refusals = state.refusals.filter { mono - $0.value < Self.refusalRepeat }
        for group in ruleSet.groups {
            // A little early counts as on time: a loop's timer may fire a millisecond before the
            // interval is over, and skipping a whole interval for that would halve the rate.
            if let last = state.lastEvaluation[group.name], mono - last < group.interval - min(.milliseconds(10), group.interval / 10) { continue }
            state.lastEvaluation[group.name] = mono
            evaluatedGroups.append(group.name)
            for rule in group.rules { evaluate(rule) }
        }
        let shortNow = shortage
        for region in shortNow.regions { state.lastShort[region] = mono }
        state.lastShort = state.lastShort.filter { mono - $0.value < Self.shortMemory }
        advanceCircuits()
        syncCircuitShifts()
        advanceDegradation()
        if ruleSet.routing.failbackAtOnceWhenShort {
            for (region, short) in state.routing.failBackAtOnce(shortage: shortage, at: mono).sorted(by: { $0.key < $1.key }) {
                let verb = short.count == 1 ? "is" : "are"
                routeReasons.append(
                    (
                        "ballast",
                        "failback: \(region) gets its whole weight back at once, its probes passed and \(short.joined(separator: ", ")) \(verb) short of capacity"
                    ))
                routingDirty = true
            }
        }
        for region in state.routing.advance(at: mono) {
            let entry = state.routing.entries[region]
            let percent = Int(((entry?.policy.step ?? 0) * 100).rounded())
            let left = Int((((1 - (entry?.removed ?? 0)) * 100)).rounded())
            routeReasons.append(
                (
                    "ballast",
                    "failback: \(region) gets \(percent)% of its weight back (now \(left)%) after a hold-down of \(DurationText.format((entry?.holdDown ?? .zero).seconds))"
                ))
            routingDirty = true
        }
        if routingDirty { recomputeWeights() }
    }

    // MARK: Rules

    private mutating func evaluate(_ rule: Rule) {
        let conditions = evaluator.conditions(rule.expression)
        state.lastValues[rule.key] = evaluator.explain(rule.expression, labels: SeriesLabels())
        var instances = state.alerts[rule.key] ?? [:]
        var fired: [SeriesLabels] = []
        var resolved: [SeriesLabels] = []
        for (labels, truth) in conditions where truth == .true {
            if var alert = instances[labels] {
                if alert.phase == .pending, mono - alert.activeSince >= rule.pendingFor - .nanoseconds(1) {
                    alert.phase = .firing
                    alert.firingSince = mono
                    fired.append(labels)
                    instances[labels] = alert
                }
            } else if rule.pendingFor <= .zero {
                instances[labels] = AlertState(phase: .firing, activeSince: mono, firingSince: mono)
                fired.append(labels)
            } else {
                instances[labels] = AlertState(phase: .pending, activeSince: mono)
            }
        }
        for (labels, alert) in instances where conditions[labels] != .true {
            instances[labels] = nil
            if alert.phase == .firing { resolved.append(labels) }
        }
        state.alerts[rule.key] = instances.isEmpty ? nil : instances
        for labels in fired.sorted() {
            record(
                .rule(RuleInstance(key: rule.key, labels: labels)), .ruleFired, target: ruleTarget(rule, labels), action: "firing",
                reason: reason(rule, labels), actor: actor(rule))
        }
        for labels in resolved.sorted() {
            record(
                .rule(RuleInstance(key: rule.key, labels: labels)), .ruleResolved, target: ruleTarget(rule, labels),
                action: "resolved", reason: reason(rule, labels), actor: actor(rule))
        }
        guard let action = rule.action else { return }
        let firing = instances.filter { $0.value.phase == .firing }.keys.sorted()
        switch action {
        case .circuit(let circuit):
            for labels in firing { trip(circuit, rule: rule, labels: labels) }
        case .degrade(let degrade):
            for labels in firing {
                state.degradation.demand(RuleInstance(key: rule.key, labels: labels), level: degrade.level, after: degrade.after)
            }
            for labels in resolved { state.degradation.release(RuleInstance(key: rule.key, labels: labels), at: mono) }
        case .route(let route):
            for labels in firing {
                guard let region = route.resolveRegion(labels) else { continue }
                drain(region, route: route, rule: rule, labels: labels)
            }
            for labels in resolved {
                guard let region = route.resolveRegion(labels) else { continue }
                state.routing.release(region, owner: .rule(RuleInstance(key: rule.key, labels: labels)), at: mono)
            }
        case .canary:
            // The gateway reads the firing instances and moves its canaries; no engine state.
            break
        }
    }

    private func actor(_ rule: Rule) -> String { "rule:\(rule.name)" }

    /// The action's target for audit entries about the rule, or `rule=<name>` without one.
    private func ruleTarget(_ rule: Rule, _ labels: SeriesLabels) -> String {
        switch rule.action {
        case .circuit(let circuit): circuit.target.resolve(labels)?.description ?? "rule=\(rule.name)"
        case .route(let route): route.resolveRegion(labels).map { "region=\($0)" } ?? "rule=\(rule.name)"
        case .canary(let canary): "canary=\(canary.migration ?? "*")"
        case .degrade: "degradation"
        case nil: "rule=\(rule.name)" + labels.description
        }
    }

    /// `error_ratio{...}[30s] > 0.5 and ... [error_ratio{...}[30s]=0.62, ...]`
    private func reason(_ rule: Rule, _ labels: SeriesLabels) -> String {
        let values = evaluator.explain(rule.expression, labels: labels)
        let instance = labels.isEmpty ? "" : " for \(labels)"
        return "\(rule.expression.displayText)\(instance) [\(values)]"
    }

    // MARK: Circuits

    private mutating func trip(_ action: CircuitAction, rule: Rule, labels: SeriesLabels) {
        guard let target = action.target.resolve(labels) else { return }
        var breaker = state.circuits[target] ?? CircuitBreaker(target: target, policy: action.policy, mode: action.mode, now: mono)
        guard breaker.isArmed(at: mono), !isCovered(target, window: rule.expression.longestWindow), !state.heldClosed.contains(target)
        else { return }
        if let refusal = panicRefusal(opening: target, mode: action.mode) {
            refuse(
                "circuit:\(target)", .circuit(target), .circuitChanged, target: target.description, action: "refused_open",
                reason: "\(refusal); rule \(rule.name): \(reason(rule, labels))")
            return
        }
        breaker.policy = action.policy
        breaker.mode = action.mode
        guard let transition = breaker.trip(at: mono, settle: .seconds(rule.expression.longestWindow), owner: rule.key) else { return }
        state.circuits[target] = breaker
        record(
            .circuit(target), .circuitChanged, target: target.description, action: transition.to.rawValue,
            reason: "\(transition.detail); \(reason(rule, labels))", actor: actor(rule))
    }

    /// True when a broader circuit (the region's, or the model's everywhere) is already open or
    /// half-open: no request reaches `target` anyway, so tripping it would only add noise. Also
    /// while the broader circuit closed less than `window` (the tripping rule's longest) ago:
    /// the rule's window then still holds the failures that circuit acted on, as a circuit's
    /// own rule is held off while it settles (`model-failing-in-region`'s 30 s window opened
    /// a region's model circuit for 30 s just after the region's own circuit closed on passing
    /// probes, in the capacity simulation, seeds 55 and 76).
    /// `window`: seconds, as a rule's window is written.
    private func isCovered(_ target: CircuitTarget, window: Double) -> Bool {
        guard let region = target.region, let model = target.model else { return false }
        return actedOn(by: CircuitTarget(region: region), within: window) || actedOn(by: CircuitTarget(model: model), within: window)
    }

    /// True when `broader` is open or half-open, or closed less than `window` ago.
    private func actedOn(by broader: CircuitTarget, within window: Double) -> Bool {
        guard let breaker = state.circuits[broader] else { return false }
        if breaker.state != .closed { return true }
        return breaker.closedAt.map { mono - $0 < .seconds(window) } ?? false
    }

    /// Audits a refusal by the panic threshold once per episode: a refusal repeated without a
    /// pause of `refusalRepeat` is the same episode and only renews the entry.
    private mutating func refuse(
        _ key: String, _ subject: StateChange.Subject, _ kind: AuditEvent.Kind, target: String,
        action: String, reason: String
    ) {
        let ongoing = state.refusals[key].map { mono - $0 < Self.refusalRepeat } ?? false
        state.refusals[key] = mono
        if !ongoing { record(subject, kind, target: target, action: action, reason: reason, actor: "ballast") }
    }

    private func panicRefusal(opening target: CircuitTarget, mode: CircuitMode) -> String? {
        state.panicRefusal(opening: target, mode: mode, ruleSet: ruleSet)
    }

    private mutating func advanceCircuits() {
        for target in state.circuits.keys.sorted() {
            guard var breaker = state.circuits[target] else { continue }
            let mayReopen = breaker.state != .closed || panicRefusal(opening: target, mode: breaker.mode) == nil
            let context = self.context
            let monotonic = mono
            let classes = breaker.policy.probe.classes
            // The one place the engine crosses from its monotonic time to the windows' wall time:
            // a circuit runs on the monotonic clock (a wall-clock jump must not reopen or close
            // it), while the windows count records stamped with wall time. What crosses is a
            // span, never an instant: "since the circuit went half-open" becomes a window of that
            // length ending at the step's wall time.
            let short = othersShort(than: target)
            let transition = breaker.advance(
                at: mono, mayReopen: mayReopen, othersShort: short != nil, reopenBriefly: short == .ofAnotherAllowance
            ) { since in
                let window = monotonic - since
                guard window > .zero else { return .empty }
                return context.result(
                    WindowQuery(
                        regions: target.region.map { [$0] }, models: target.model.map { [$0] },
                        window: window.seconds, failureClasses: classes))
            }
            state.circuits[target] = breaker.isIdle(at: mono) ? nil : breaker
            if let transition {
                record(
                    .circuit(target), .circuitChanged, target: target.description, action: transition.to.rawValue,
                    reason: transition.detail, actor: breaker.owner.map { "rule:\($0.rule)" } ?? "ballast")
            }
        }
    }

    /// Whether a region still serving traffic (weight above 0), other than `target`'s, is short
    /// of capacity, with failback immediate when short (`routing.failback_when_short`): then
    /// `target`'s failed probes do not make it wait longer, and when one of those regions draws
    /// on another allowance than `target`'s (`RuleRegion.limitGroup`), so that `target` would
    /// bring capacity they lack, it is probed about every half second
    /// (`CircuitBreaker.advance(othersShort:reopenBriefly:)`). Nil when none is short.
    ///
    /// Probing often where the allowance is shared only spends it: every failed probe is paid
    /// from the bucket the short regions wait for. Capped at 500 ms whatever the groups, the
    /// capacity simulation's random sweep (400 seeds, most with one organisation-wide limit) lost
    /// 12 points of goodput against no gateway in sum over the seeds below it (seed 249: -3.5 %
    /// to -7.0 %).
    ///
    /// Short within the last `shortMemory`, not just at this step: the pacer's word flickers
    /// (a line that empties for a moment, a concurrency limit with a slot free), and a failed
    /// round of probes that happened to meet such a moment doubled the open time (capacity
    /// simulation, seed 317: out until 18.4 s instead of 16 s).
    private func othersShort(than target: CircuitTarget) -> OthersShort? {
        guard ruleSet.routing.failbackAtOnceWhenShort, let region = target.region else { return nil }
        let short = state.routing.weights.filter { $0.key != region && $0.value > 0 && state.lastShort[$0.key] != nil }.keys
        guard !short.isEmpty else { return nil }
        let allowances = Dictionary(ruleSet.regions.map { ($0.name, $0.allowance) }, uniquingKeysWith: { first, _ in first })
        let own = allowances[region] ?? "region:" + region
        return short.contains { (allowances[$0] ?? "region:" + $0) != own } ? .ofAnotherAllowance : .ofTheSameAllowance
    }

    enum OthersShort { case ofTheSameAllowance, ofAnotherAllowance }

    /// How long a region seen short counts as short for `othersShort`.
    static let shortMemory: Duration = .seconds(2)

    /// The regions that cannot carry the traffic: those the pacer names short of capacity
    /// (`capacity`), and those still serving that fail more than half of their attempts (429s
    /// aside) over the last `failingWindow` seconds. A region held out is needed as much by
    /// either: a standby that recovered while the one region left answered 503 to everything
    /// stayed out 6 s more (its open time had doubled twice; the region-failing rules cannot
    /// compare the region left with one that has no traffic), and then came back in steps
    /// (capacity simulation, seed 155).
    private var shortage: CapacityShortage {
        var regions = capacity.regions
        for (region, weight) in state.routing.weights where weight > 0 && !regions.contains(region) {
            let result = context.result(
                WindowQuery(regions: [region], window: Self.failingWindow, failureClasses: .defaultFailures, level: .attempt, wantsStreak: false))
            let failed = result.count(.defaultFailures) - result.status429
            if result.requests >= Self.failingAttempts, 2 * failed > result.requests { regions.insert(region) }
        }
        return CapacityShortage(regions: regions)
    }

    /// An open or half-open region circuit holds all of the region's weight away; once it
    /// closes, the weight comes back through the failback hold-down and steps.
    private mutating func syncCircuitShifts() {
        for (target, breaker) in state.circuits.sorted(by: { $0.key < $1.key }) {
            guard let region = target.region, target.model == nil, breaker.state != .closed else { continue }
            if state.routing.shift(region, by: 1, owner: .circuit(target), policy: ruleSet.routing.failback, at: mono) {
                routeReasons.append((breaker.owner.map { "rule:\($0.rule)" } ?? "ballast", "circuit \(target) is \(breaker.state.rawValue)"))
                routingDirty = true
            }
        }
        for (region, entry) in state.routing.entries {
            for owner in entry.owners {
                guard case .circuit(let target) = owner, state.circuitState(target) == .closed else { continue }
                state.routing.release(region, owner: owner, at: mono)
            }
        }
    }

    // MARK: Degradation and routes

    private mutating func advanceDegradation() {
        guard let (from, previous) = state.degradation.advance(at: mono, maxLevel: ruleSet.degradation.maxLevel) else { return }
        let level = state.degradation.level
        let reasonText: String
        let who: RuleInstance?
        if level > from, let holder = state.degradation.holder {
            who = holder
            reasonText = ruleSet.rule(holder.key).map { "rule \(holder) firing: \(reason($0, holder.labels))" } ?? "rule \(holder)"
        } else {
            who = state.degradation.holder ?? previous
            let held = state.degradation.holder.map { " (still held at \(level) by \(String(describing: $0)))" } ?? ""
            reasonText = "stepping down: \(previous.map { "rule \($0)" } ?? "the rule") resolved\(held)"
        }
        record(
            .degradation, .degradationChanged, target: "degradation", action: "level=\(level)", reason: reasonText,
            actor: who.map { "rule:\($0.key.rule)" } ?? "ballast")
    }

    private mutating func drain(_ region: String, route: RouteAction, rule: Rule, labels: SeriesLabels) {
        let instance = RuleInstance(key: rule.key, labels: labels)
        // The region's circuit closed within the rule's window: what the rule sees is the outage
        // that circuit acted on, not the region since (`region-unhealthy`'s 1 m window drained a
        // region 25 s after it was back, in the capacity simulation, seed 10).
        if actedOn(by: CircuitTarget(region: region), within: rule.expression.longestWindow),
            state.circuitState(CircuitTarget(region: region)) == .closed
        {
            return
        }
        if state.routing.removed(region) < 1, ruleSet.regions.contains(where: { $0.name == region }) {
            // Weight only moves to regions with nothing shifted away: without enough of them
            // left, a shift cannot go anywhere and would only hide the region's real share.
            let receivers = ruleSet.regions.map(\.name).filter {
                $0 != region && state.circuitState(CircuitTarget(region: $0)) == .closed && state.routing.removed($0) <= 0
            }
            let minimum = ruleSet.routing.minAvailableRegions
            if receivers.count < minimum {
                refuse(
                    "route:\(region)", .route(region: region), .routeShifted, target: "region=\(region)", action: "refused_drain",
                    reason:
                        "panic threshold: draining would leave \(receivers.count) regions to take the traffic (at least \(minimum) must stay); rule \(rule.name): \(reason(rule, labels))"
                )
                return
            }
        }
        let policy = route.failback ?? ruleSet.routing.failback
        if state.routing.shift(region, by: route.step, owner: .rule(instance), policy: policy, at: mono) {
            routeReasons.append((actor(rule), "rule \(instance) firing: \(reason(rule, labels))"))
            routingDirty = true
        }
    }

    private mutating func recomputeWeights() {
        let regions = ruleSet.regions
        guard !regions.isEmpty else { return }
        var removed: [String: Double] = [:]
        for (region, entry) in state.routing.entries { removed[region] = entry.removed }
        var totalRate: Double?
        if regions.contains(where: { $0.capacity != nil }), removed.values.contains(where: { $0 > 0 }) {
            let window = ruleSet.routing.rateWindow.seconds
            totalRate = Double(context.result(WindowQuery(window: window, wantsStreak: false)).requests) / window
        }
        let old = state.routing.weights
        let new = WeightDistribution.compute(regions: regions, removed: removed, totalRate: totalRate)
        state.routing.setWeights(new)
        guard !old.isEmpty else { return }
        var reasonText = routeReasons.map(\.reason).joined(separator: "; ")
        if reasonText.isEmpty { reasonText = "regions reconfigured" }
        if let totalRate { reasonText += "; capacities respected at \(ExprEvaluator.format(totalRate)) req/s" }
        let who = routeReasons.first?.actor ?? "ballast"
        for region in regions.map(\.name) {
            guard let before = old[region], let after = new[region], before != after else { continue }
            record(
                .route(region: region), .routeShifted, target: "region=\(region)", action: "weight=\(after)",
                reason: reasonText, actor: who)
        }
    }

    private mutating func record(
        _ subject: StateChange.Subject, _ kind: AuditEvent.Kind, target: String, action: String,
        reason: String, actor: String
    ) {
        changes.append(
            StateChange(
                subject: subject, time: now.wall, kind: kind, target: target, action: action,
                reason: reason, actor: actor))
    }
}
