package import BallastConfig
package import BallastCore
import Dispatch
import Foundation
package import Logging
package import Rules
package import Synchronization
package import Telemetry
package import Resilience

/// Runs the rule files against Ballast's own telemetry and applies what they decide:
/// region weights to the router, circuits and the degradation level to the request path,
/// every change to the audit table. The engine is a pure function; this is the thin loop
/// around it (a thread that ticks every `RuleSet.tickInterval`, and sooner when a circuit is
/// due to go half-open or a probe has answered), plus reloads. Operator
/// overrides from the control API are layered on top of the engine's decisions
/// (`RuleController+Operator.swift`).
public final class RuleController: Sendable {
    struct State {
        var ruleSet: RuleSet
        var engine = RuleEngineState()
        var fingerprint: String
        var lastError: String?
        /// Wall-clock seconds since the Unix epoch.
        var lastReloadAt: Double?
        var overrides = OperatorOverrides()
        /// The most cautious of the other live instances' own decisions (shared mode).
        var peers = InstanceDecisions()
        /// The rules' degradation level: this instance's, or the other instances' when higher.
        var ruleLevel: Int { min(max(engine.degradationLevel, peers.degradation), ruleSet.degradation.maxLevel) }

        /// Bumped by every change made outside an evaluation (probe permits, reloads, operator
        /// actions), so an evaluation run outside the lock knows whether its result still fits.
        var version = 0
    }

    /// The `state` table key the overrides are kept under.
    static let overridesKey = "operator_overrides"

    let paths: [String]
    private let context: RuleContext
    package let source: TelemetryWindowSource
    let router: Router
    let writer: TelemetryWriter
    /// Where overrides are persisted; nil in tests that run without a store.
    let store: TelemetryStore?
    /// The canaries, moved on at every tick by time and by the rules' canary actions.
    package let migrations: MigrationController?
    let clock: any TimeSource
    let logger: Logger
    let state: Mutex<State>
    /// Held by every change of the overrides across its save to the store (operator writes,
    /// expiry, shared merges), so two of them cannot save in one order and apply in the other.
    let operatorWrites = Mutex<Void>(())
    private let running = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)
    /// Wakes the evaluation thread before its next tick (`probeAnswered`, `stop`); one signal
    /// at a time (`wakeSignalled`), so a burst of probe answers costs one extra evaluation.
    private let wake = DispatchSemaphore(value: 0)
    private let wakeSignalled = Atomic<Bool>(false)
    package let evaluations = Atomic<Int>(0)
    /// Publishes operator overrides to the other instances (shared mode only; it publishes
    /// only while its sync is attached to this controller).
    let overridesObserver: (any OverridesObserver)?
    /// Publishes the rules' circuit, degradation and route decisions (shared mode only, and
    /// likewise only while attached).
    let decisionsObserver: (any RuleDecisionsObserver)?
    package let failedReloads = Atomic<Int>(0)
    /// Whether `region`, while serving traffic, is short of capacity now: at its rate
    /// allowance or queueing requests. Asked for every configured region at each tick (outside
    /// the controller's lock); a region whose circuit closed gets its whole weight back at once,
    /// instead of after the hold-down and steps, while a region still serving is short
    /// (`routing.failback_when_short`). Never short unless given; the gateway gives its rate
    /// pacer's. Must be cheap and must not call back into the controller.
    let capacityShort: @Sendable (_ region: String) -> Bool
    /// See `connectRegionNews`; nil until connected.
    private let regionNewsHook = Mutex<(@Sendable (RegionNews) -> Void)?>(nil)

    /// A region's own circuit (any model) opened or closed.
    package enum RegionNews: Sendable, Equatable {
        /// The requests already waiting there for a first byte can move before their deadline.
        case out(String)
        /// The requests waiting for a paced slot elsewhere can look whether it takes them, the
        /// longest waiting first (in the capacity simulation's region-down scenario, looking
        /// only every 0.25 s, the recovered primary's allowance went to whoever asked first, new
        /// arrivals included: p99 2,072 ms against 1,974 ms when told).
        case back(String)
    }

    /// Connects what is told when a region's own circuit opens or closes. Connected once,
    /// before `start`, by the owner of the requests: the proxy's context, which is built after
    /// the controller because it consults it. Until then nobody is told.
    package func connectRegionNews(_ hook: @escaping @Sendable (RegionNews) -> Void) {
        precondition(!running.load(ordering: .relaxed), "region news are connected before the controller starts")
        regionNewsHook.withLock { connected in
            precondition(connected == nil, "region news are connected once")
            connected = hook
        }
    }

    var regionNews: @Sendable (RegionNews) -> Void {
        let connected: (@Sendable (RegionNews) -> Void)? = regionNewsHook.withLock { $0 }
        return connected ?? { _ in }
    }

    /// Loads the rule files; an error in any of them fails start-up with every problem listed.
    /// Overrides saved by an earlier run are loaded from `store`; expired ones are dropped
    /// (and audited) at the first tick. The observers exist before the controller (they are
    /// the shared runtime's syncs, which are attached to it once it exists).
    package init(
        config: GatewayConfig, source: TelemetryWindowSource, router: Router, writer: TelemetryWriter,
        store: TelemetryStore? = nil, migrations: MigrationController? = nil, clock: any TimeSource, logger: Logger,
        overridesObserver: (any OverridesObserver)? = nil, decisionsObserver: (any RuleDecisionsObserver)? = nil,
        capacityShort: @escaping @Sendable (_ region: String) -> Bool = { _ in false }
    ) throws {
        paths = config.rules.paths
        context = RuleContext(config: config)
        self.source = source
        self.router = router
        self.writer = writer
        self.store = store
        self.migrations = migrations
        self.clock = clock
        self.logger = logger
        self.overridesObserver = overridesObserver
        self.decisionsObserver = decisionsObserver
        self.capacityShort = capacityShort
        let ruleSet: RuleSet
        switch RuleSet.load(paths: config.rules.paths, context: context) {
        case .success(let loaded): ruleSet = loaded
        case .failure(let error): throw GatewayStartupError.rulesInvalid("\(error)")
        }
        var initial = State(ruleSet: ruleSet, fingerprint: RuleFiles.fingerprint(config.rules.paths))
        initial.overrides = Self.loadOverrides(from: store, logger: logger)
        initial.engine.heldClosed = initial.overrides.heldClosed
        state = Mutex(initial)
        applyRouting()
    }

    package var ruleCount: Int { state.withLock { $0.ruleSet.rules.count } }

    /// Starts the evaluation thread.
    package func start() {
        guard !running.exchange(true, ordering: .relaxed) else { return }
        Thread.detachNewThread { [self] in
            var lastFileCheck = clock.now()
            while running.load(ordering: .relaxed) {
                tick()
                if clock.now().seconds(since: lastFileCheck) >= 2 {
                    lastFileCheck = clock.now()
                    reloadIfFilesChanged()
                }
                let (interval, deadline) = state.withLock { ($0.ruleSet.tickInterval, $0.engine.nextCircuitDeadline) }
                let pause = Self.pause(interval: interval, nextCircuitDeadline: deadline, now: clock.now())
                wakeSignalled.store(false, ordering: .relaxed)
                _ = wake.wait(timeout: .now() + .nanoseconds(Int(pause * 1e9)))
            }
            stopped.signal()
        }
    }

    package func stop() {
        guard running.exchange(false, ordering: .relaxed) else { return }
        wake.signal()
        stopped.wait()
    }

    /// A probe of a half-open circuit ended (and is counted in the attempt windows): evaluate
    /// now, not at the next tick, so the circuit closes (or opens again) as soon as its probes
    /// have answered. Cheap and never blocks: called on the proxy's loop thread.
    package func probeAnswered() {
        guard running.load(ordering: .relaxed), !wakeSignalled.exchange(true, ordering: .relaxed) else { return }
        wake.signal()
    }

    /// Seconds the evaluation thread waits before its next step: the tick interval (50 ms to
    /// 1 s), or less when an open circuit is due to go half-open sooner (at least 1 ms).
    ///
    /// Moved on at ticks alone, a circuit waited up to a tick to go half-open and up to a tick
    /// after its probes had answered to close or open again. In the capacity simulation's
    /// region-down scenario (primary down 20-30 s, standby saturated) the primary went half-open
    /// at 30.5 s and closed at 31.0 s; moved on when due and when probes answer (with
    /// `CircuitBreaker.reopenWhileOthersShort`), it went half-open at 30.14 s and closed at
    /// 30.51 s, and the p99 went from 2,121 to 2,072 ms.
    package static func pause(interval: Duration, nextCircuitDeadline: MonotonicInstant?, now: MonotonicInstant) -> Double {
        let tick = max(0.05, min(interval.seconds, 1))
        guard let deadline = nextCircuitDeadline else { return tick }
        return min(tick, max(0.001, deadline.seconds(since: now)))
    }

    /// One evaluation step at the current time; public to tests through the service.
    ///
    /// The evaluation (its window queries above all) runs outside the lock, so requests asking
    /// `admit` and control API reads never wait for it. Its result is committed only when
    /// nothing changed the state meanwhile; otherwise (a probe permit taken, an operator's
    /// action, a reload: rare) the step is evaluated again under the lock.
    package func tick() {
        expireOverrides()
        let now = RuleTime(monotonic: clock.now(), wall: clock.wallTime())
        let (ruleSet, engine, version) = state.withLock { ($0.ruleSet, $0.engine, $0.version) }
        let short = capacityShort
        let capacity = CapacityShortage(regions: Set(ruleSet.regions.map(\.name).filter { short($0) }))
        let result = RuleEngine.evaluate(ruleSet, state: engine, source: source, now: now, capacity: capacity)
        let changes = state.withLock { s -> [StateChange] in
            guard s.version == version else {
                let again = RuleEngine.evaluate(s.ruleSet, state: s.engine, source: source, now: now, capacity: capacity)
                s.engine = again.state
                s.version &+= 1
                return again.changes
            }
            s.engine = result.state
            // A second tick running at the same time (tests call `tick` too) re-evaluates.
            s.version &+= 1
            return result.changes
        }
        evaluations.add(1, ordering: .relaxed)
        apply(changes)
        publishDecisions(after: changes)
        migrations?.tick(canaryDemands())
    }

    /// Reloads the rule files; all or nothing. Returns the errors of a failed reload.
    @discardableResult
    package func reload(actor: String, reason: String? = nil) -> ConfigError? {
        switch RuleSet.load(paths: paths, context: context) {
        case .failure(let error):
            failedReloads.add(1, ordering: .relaxed)
            state.withLock { $0.lastError = "\(error)" }
            let problems = "\(error)".split(separator: "\n")
            _ = writer.submit(
                AuditEvent(
                    time: clock.wallTime(), kind: .rulesReloaded, target: "rules", action: "refused",
                    reason: "\(problems.count) problem(s), the running rules stay: \(problems.first ?? "")",
                    actor: actor))
            logger.error("rules reload failed; the running rules stay", metadata: ["errors": "\(error)"])
            return error
        case .success(let ruleSet):
            let now = RuleTime(monotonic: clock.now(), wall: clock.wallTime())
            let changes = state.withLock { s -> [StateChange] in
                let result = RuleEngine.reload(state: s.engine, from: s.ruleSet, to: ruleSet, now: now, actor: actor)
                s.engine = result.state
                s.version &+= 1
                s.ruleSet = ruleSet
                s.fingerprint = RuleFiles.fingerprint(paths)
                s.lastError = nil
                s.lastReloadAt = now.wall
                return result.changes
            }
            _ = writer.submit(
                AuditEvent(
                    time: now.wall, kind: .rulesReloaded, target: "rules",
                    action: "\(ruleSet.rules.count) rules",
                    reason: (reason.map { "\($0); " } ?? "") + "reload of \(paths.joined(separator: ", "))",
                    actor: actor))
            apply(changes)
            publishDecisions(after: changes)
            logger.info("rules reloaded", metadata: ["rules": "\(ruleSet.rules.count)", "by": "\(actor)"])
            return nil
        }
    }

    /// What the firing rules with canary actions ask of the canaries now.
    func canaryDemands() -> CanaryDemands {
        guard let names = migrations?.states.map(\.config.name), !names.isEmpty else { return CanaryDemands() }
        return state.withLock { s in
            var demands = CanaryDemands()
            let firing = Set(s.engine.firing.map(\.key))
            for rule in s.ruleSet.rules {
                guard case .canary(let action) = rule.action, firing.contains(rule.key) else { continue }
                let why = "rule \(rule.name) firing: \(rule.expression.displayText) [\(s.engine.lastValues[rule.key] ?? "")]"
                for name in action.migration.map({ [$0] }) ?? names {
                    switch action.command {
                    case .rollback: demands.rollbacks[name] = why
                    case .hold: demands.holds[name] = why
                    case .advance: demands.advances[name] = why
                    }
                }
            }
            return demands
        }
    }

    private func reloadIfFilesChanged() {
        let current = RuleFiles.fingerprint(paths)
        let known = state.withLock { $0.fingerprint }
        guard current != known else { return }
        if reload(actor: "ballast") != nil {
            // Remember the broken version too, so it is reported once, not every check.
            state.withLock { $0.fingerprint = current }
        }
    }

    func apply(_ changes: [StateChange]) {
        applyRouting()
        let tell = regionNews
        for change in changes {
            _ = writer.submit(change.auditEvent)
            logger.notice("\(change)")
            if let region = change.openedRegion { tell(.out(region)) }
            if let region = change.closedRegion { tell(.back(region)) }
        }
    }

    // MARK: Read by the request path

    /// What the circuits say about a request to `region` for `model`, taking a probe permit
    /// when the circuit is half-open.
    package enum Admission {
        case go
        case open(retryAfter: Double, mode: CircuitMode, target: String)
    }

    package func admit(region: String, model: String?) -> Admission {
        let now = clock.now()
        let wall = clock.wallTime()
        return state.withLock { s -> Admission in
            if !s.overrides.circuits.isEmpty, let held = s.overrides.heldOpen(region: region, model: model) {
                let retryAfter = held.override.expiresAt.map { max(1, $0 - wall) } ?? 30
                return .open(
                    retryAfter: retryAfter, mode: held.target.region == nil ? .fallback : .reroute,
                    target: held.target.description)
            }
            switch s.engine.admit(region: region, model: model, at: now) {
            case .closed:
                return .go
            case .halfOpen:
                // A probe permit was taken: an evaluation running meanwhile must see it.
                s.version &+= 1
                return .go
            case .open(let target, let retryAfter, let mode):
                return .open(retryAfter: retryAfter, mode: mode, target: target.description)
            }
        }
    }

    /// True when a request to `region` for `model` would be refused by an open circuit (an
    /// operator's hold included); unlike `admit`, takes no probe permit.
    package func isOpen(region: String, model: String?) -> Bool {
        let now = clock.now()
        return state.withLock { s in
            if !s.overrides.circuits.isEmpty, s.overrides.heldOpen(region: region, model: model) != nil { return true }
            return s.engine.isOpen(region: region, model: model, at: now)
        }
    }

    /// A region whose circuit (for this model) is half-open with probe permits left. Such
    /// a region usually has weight 0 (its traffic was shifted away when the circuit opened),
    /// so the router would never pick it; the request path sends it probes on purpose.
    package func probeRegion(model: String?, among regions: [String]) -> String? {
        let now = clock.now()
        return state.withLock { $0.engine.probeRegion(model: model, among: regions, at: now) }
    }

    /// The degradation in force now.
    package var degradation: DegradationPolicy {
        state.withLock { s in
            s.ruleSet.degradation.policy(level: s.overrides.degradationLevel(rules: s.ruleLevel))
        }
    }

    /// The fallback for `model`, if the degradation map has one.
    package func fallback(for model: String) -> String? {
        state.withLock { $0.ruleSet.degradation.fallback.fallback(for: model) }
    }

    // MARK: Read by metrics

    /// One series per circuit and state, operator-held circuits included (as the state they
    /// are held in).
    package func circuitSeries() -> [([String], Double)] {
        state.withLock { s in
            let targets = Set(s.engine.circuits.keys).union(s.overrides.circuits.keys.compactMap { CircuitTarget(parsing: $0) })
            return targets.sorted().flatMap { target in
                let current = Self.effectiveState(target, engine: s.engine, overrides: s.overrides)
                return CircuitState.allCases.map { candidate in
                    ([target.description, candidate.rawValue], current == candidate ? 1.0 : 0.0)
                }
            }
        }
    }

    /// A circuit's state with the operator's hold applied.
    static func effectiveState(_ target: CircuitTarget, engine: RuleEngineState, overrides: OperatorOverrides) -> CircuitState {
        switch overrides.circuits[target.description]?.action {
        case .circuitOpen: .open
        case .circuitClose: .closed
        default: engine.circuitState(target)
        }
    }

    package func firingSeries() -> [([String], Double)] {
        state.withLock { s in
            s.ruleSet.rules.map { rule in
                let firing = s.engine.firing.contains { $0.key == rule.key }
                return ([rule.key.group, rule.key.rule], firing ? 1.0 : 0.0)
            }
        }
    }

    /// The level in force: the operator's when one is set, else the rules' (the higher of this
    /// instance's and the other instances' in shared mode).
    package var degradationLevel: Int { state.withLock { $0.overrides.degradationLevel(rules: $0.ruleLevel) } }
}
