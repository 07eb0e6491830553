import BallastConfig
import BallastCore
import Dispatch
import Foundation
import Logging
import Rules
import Synchronization
import Telemetry

/// Runs the rule files against Ballast's own telemetry and applies what they decide:
/// region weights to the router, circuits and the degradation level to the request path,
/// every change to the audit table. The engine is a pure function; this is the thin loop
/// around it (a thread that ticks every `RuleSet.tickInterval`), plus reloads.
public final class RuleController: Sendable {
    private struct State {
        var ruleSet: RuleSet
        var engine = RuleEngineState()
        var fingerprint: String
        var lastError: String?
    }

    private let paths: [String]
    private let context: RuleContext
    private let source: TelemetryWindowSource
    private let router: Router
    private let writer: TelemetryWriter
    private let clock: any Clock
    private let logger: Logger
    private let state: Mutex<State>
    private let running = Atomic<Bool>(false)
    private let stopped = DispatchSemaphore(value: 0)
    let evaluations = Atomic<Int>(0)
    let failedReloads = Atomic<Int>(0)

    /// Loads the rule files; an error in any of them fails start-up with every problem listed.
    init(config: GatewayConfig, source: TelemetryWindowSource, router: Router, writer: TelemetryWriter, clock: any Clock,
         logger: Logger) throws {
        paths = config.rules.paths
        context = RuleContext(config: config)
        self.source = source
        self.router = router
        self.writer = writer
        self.clock = clock
        self.logger = logger
        let ruleSet: RuleSet
        switch RuleSet.load(paths: config.rules.paths, context: context) {
        case .success(let loaded): ruleSet = loaded
        case .failure(let error): throw GatewayStartupError.rulesInvalid("\(error)")
        }
        state = Mutex(State(ruleSet: ruleSet, fingerprint: RuleFiles.fingerprint(config.rules.paths)))
    }

    var ruleCount: Int { state.withLock { $0.ruleSet.rules.count } }

    /// Starts the evaluation thread.
    func start() {
        guard !running.exchange(true, ordering: .relaxed) else { return }
        Thread.detachNewThread { [self] in
            var lastFileCheck = clock.now()
            while running.load(ordering: .relaxed) {
                tick()
                if clock.now().seconds(since: lastFileCheck) >= 2 {
                    lastFileCheck = clock.now()
                    reloadIfFilesChanged()
                }
                let interval = state.withLock { $0.ruleSet.tickInterval }
                usleep(UInt32(max(0.05, min(interval, 1)) * 1_000_000))
            }
            stopped.signal()
        }
    }

    func stop() {
        guard running.exchange(false, ordering: .relaxed) else { return }
        stopped.wait()
    }

    /// One evaluation step at the current time; public to tests through the service.
    func tick() {
        let now = RuleTime(monotonic: clock.now(), wall: clock.wallTime())
        let changes = state.withLock { s -> [StateChange] in
            let result = RuleEngine.evaluate(s.ruleSet, state: s.engine, source: source, now: now)
            s.engine = result.state
            return result.changes
        }
        evaluations.add(1, ordering: .relaxed)
        apply(changes)
    }

    /// Reloads the rule files; all or nothing. Returns the errors of a failed reload.
    @discardableResult
    func reload(actor: String) -> ConfigError? {
        switch RuleSet.load(paths: paths, context: context) {
        case .failure(let error):
            failedReloads.add(1, ordering: .relaxed)
            state.withLock { $0.lastError = "\(error)" }
            logger.error("rules reload failed; the running rules stay", metadata: ["errors": "\(error)"])
            return error
        case .success(let ruleSet):
            let now = RuleTime(monotonic: clock.now(), wall: clock.wallTime())
            let changes = state.withLock { s -> [StateChange] in
                let result = RuleEngine.reload(state: s.engine, from: s.ruleSet, to: ruleSet, now: now, actor: actor)
                s.engine = result.state
                s.ruleSet = ruleSet
                s.fingerprint = RuleFiles.fingerprint(paths)
                s.lastError = nil
                return result.changes
            }
            _ = writer.submit(AuditEvent(time: now.wall, kind: .rulesReloaded, target: "rules",
                                         action: "\(ruleSet.rules.count) rules", reason: "reload of \(paths.joined(separator: ", "))",
                                         actor: actor))
            apply(changes)
            logger.info("rules reloaded", metadata: ["rules": "\(ruleSet.rules.count)", "by": "\(actor)"])
            return nil
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

    private func apply(_ changes: [StateChange]) {
        let weights = state.withLock { $0.engine.weights }
        if !weights.isEmpty { router.setWeights(weights) }
        for change in changes {
            _ = writer.submit(change.auditEvent)
            logger.notice("\(change)")
        }
    }

    // MARK: Read by the request path

    /// What the circuits say about a request to `region` for `model`, taking a probe permit
    /// when the circuit is half-open.
    enum Admission {
        case go
        case open(retryAfter: Double, mode: CircuitMode, target: String)
    }

    func admit(region: String, model: String?) -> Admission {
        let now = clock.now().seconds(since: MonotonicInstant(nanoseconds: 0))
        return state.withLock { s -> Admission in
            switch s.engine.circuitStatus(region: region, model: model, at: now) {
            case .closed:
                return .go
            case .halfOpen(let target, _):
                return s.engine.acquireProbe(region: region, model: model)
                    ? .go : .open(retryAfter: 1, mode: .failFast, target: target.description)
            case .open(let target, let retryAfter, let mode):
                return .open(retryAfter: retryAfter, mode: mode, target: target.description)
            }
        }
    }

    /// A region whose circuit (for this model) is half-open with probe permits left. Such
    /// a region usually has weight 0 (its traffic was shifted away when the circuit opened),
    /// so the router would never pick it; the request path sends it probes on purpose.
    func probeRegion(model: String?, among regions: [String]) -> String? {
        let now = clock.now().seconds(since: MonotonicInstant(nanoseconds: 0))
        return state.withLock { s in
            regions.first { region in
                if case .halfOpen = s.engine.circuitStatus(region: region, model: model, at: now) { return true }
                return false
            }
        }
    }

    /// The degradation in force now.
    var degradation: DegradationPolicy {
        state.withLock { $0.ruleSet.degradation.policy(level: $0.engine.degradationLevel) }
    }

    /// The fallback for `model`, if the degradation map has one.
    func fallback(for model: String) -> String? {
        state.withLock { $0.ruleSet.degradation.fallback.fallback(for: model) }
    }

    // MARK: Read by metrics

    func circuitSeries() -> [([String], Double)] {
        state.withLock { s in
            s.engine.circuits.keys.sorted().flatMap { target in
                CircuitState.allCases.map { candidate in
                    ([target.description, candidate.rawValue], s.engine.circuitState(target) == candidate ? 1.0 : 0.0)
                }
            }
        }
    }

    func firingSeries() -> [([String], Double)] {
        state.withLock { s in
            s.ruleSet.rules.map { rule in
                let firing = s.engine.firing.contains { $0.key == rule.key }
                return ([rule.key.group, rule.key.rule], firing ? 1.0 : 0.0)
            }
        }
    }

    var degradationLevel: Int { state.withLock { $0.engine.degradationLevel } }
}
