package import BallastConfig
package import BallastCore
import Foundation
package import Logging
import Rules
package import Synchronization
package import Telemetry

/// Runs the migrations: routes requests through `MigrationRouter` with the canaries' current
/// states, moves the canaries on by time and by the rules' demands, applies operators'
/// commands, audits every change and keeps the states in the store so a restart resumes
/// where it was.
package final class MigrationController: Sendable {
    static let stateKey = "canaries"

    let router: MigrationRouter
    /// Recent attempts per canary side (rules and the control API read them).
    package let windows: CanaryWindows
    private let canaries: Mutex<[CanaryState]>
    /// Held by an operator's command across its save, so two commands save and apply in
    /// the same order.
    private let operatorWrites = Mutex<Void>(())
    private let writer: TelemetryWriter?
    private let store: TelemetryStore?
    private let clock: any TimeSource
    private let logger: Logger
    /// Publishes every canary change to the other instances (shared mode only; it publishes
    /// only while its sync is attached to the rule controller).
    private let changesObserver: (any RuleDecisionsObserver)?
    /// Requests the deprecation guard moved, by (model, successor).
    package let deprecatedCounts = Mutex<[String: Int]>([:])

    package init(
        config: MigrationsConfig, windows: CanaryWindows = CanaryWindows(), writer: TelemetryWriter?, store: TelemetryStore?,
        clock: any TimeSource, logger: Logger, changesObserver: (any RuleDecisionsObserver)? = nil
    ) {
        router = MigrationRouter(config: config)
        self.changesObserver = changesObserver
        self.windows = windows
        self.writer = writer
        self.store = store
        self.clock = clock
        self.logger = logger
        let wall = clock.wallTime()
        var saved: [CanaryState] = []
        if let json = try? store?.state(forKey: Self.stateKey) {
            do {
                saved = try JSONDecoder().decode([CanaryState].self, from: Data(json.utf8))
            } catch {
                logger.error(
                    "saved canary states could not be read; starting the configured canaries afresh",
                    metadata: ["error": "\(error)"])
            }
        }
        var states: [CanaryState] = []
        for definition in config.canaries {
            if var known = saved.first(where: { $0.config.name == definition.name && $0.origin == "config" }) {
                if known.config != definition {
                    // The definition changed: keep the phase, clamp the step to the new schedule.
                    known.config = definition
                    known.step = min(known.step, definition.steps.count - 1)
                }
                states.append(known)
            } else {
                states.append(CanaryState(config: definition, origin: "config", wall: wall))
            }
        }
        // Canaries an operator started survive restarts unless the config now defines the name.
        for state in saved where state.origin != "config" && !states.contains(where: { $0.config.name == state.config.name }) {
            states.append(state)
        }
        canaries = Mutex(states)
        persist(states)
    }

    package var states: [CanaryState] { canaries.withLock { $0 } }

    package var isActive: Bool { router.isActive || !states.isEmpty }

    /// Routes one Messages request.
    package func route(model: String?, clientHeaders: HTTPHeaders, upstreamHeaders: inout HTTPHeaders, body: inout [UInt8]) -> MigrationOutcome {
        let outcome = router.route(
            model: model, clientHeaders: clientHeaders, upstreamHeaders: &upstreamHeaders, body: &body,
            canaries: states, wall: clock.wallTime())
        if let deprecated = outcome.deprecated {
            deprecatedCounts.withLock { $0["\(deprecated.model)|\(deprecated.successor)", default: 0] += 1 }
        }
        return outcome
    }

    /// One side of a canary over the last five minutes.
    package struct SideFigures: Sendable, Equatable {
        package var attempts: Int
        /// Failed attempts over all attempts; nil with no attempts.
        package var errorRatio: Double?
        package var p99Seconds: Double?
    }

    /// Each side's attempts over the last five minutes: count, error ratio, p99.
    package func sideFigures(_ name: String, wall: Double) -> [CanaryTag.Side: SideFigures] {
        var result: [CanaryTag.Side: SideFigures] = [:]
        for side in CanaryTag.Side.allCases {
            let window = windows.window(
                CanarySelector(side: side, migration: name), regions: nil, models: nil,
                length: SeriesLevel.attemptRetention, failing: .defaultFailures, wallTime: wall)
            let attempts = window.requests
            result[side] = SideFigures(
                attempts: attempts,
                errorRatio: attempts > 0 ? Double(window.count(OutcomeClassSet.defaultFailures)) / Double(attempts) : nil,
                p99Seconds: LatencyBuckets.quantile(0.99, counts: window.latency))
        }
        return result
    }

    // MARK: Moving on

    /// Advances canaries by time and applies the rules' demands (rollbacks first).
    func tick(_ demands: CanaryDemands = CanaryDemands()) {
        let wall = clock.wallTime()
        var events: [(String, String, String, String)] = []
        let states = canaries.withLock { states -> [CanaryState] in
            for index in states.indices {
                let name = states[index].config.name
                if let why = demands.rollbacks[name], let summary = states[index].rollback(at: wall) {
                    events.append((name, "rollback", "\(summary); \(why)", Self.actor(why)))
                    continue
                }
                let advanceWhy = demands.advances[name]
                if let summary = states[index].tick(at: wall, ruleHolds: demands.holds[name] != nil, ruleAdvance: advanceWhy != nil) {
                    let why = advanceWhy ?? "healthy for \(DurationText.format(states[index].config.minStepTime)) at the previous step"
                    events.append((name, "advance", "\(summary); \(why)", advanceWhy.map(Self.actor) ?? "ballast"))
                }
            }
            return states
        }
        guard !events.isEmpty else { return }
        persist(states)
        for (name, action, reason, actor) in events { audit(name, action: action, reason: reason, actor: actor) }
        for name in Set(events.map(\.0)) {
            if let state = states.first(where: { $0.config.name == name }) { publish(state, at: wall) }
        }
    }

    /// `rule:<name>` from a demand's reason `rule <name> firing: ...`.
    private static func actor(_ why: String) -> String {
        guard why.hasPrefix("rule "), let name = why.dropFirst(5).split(separator: " ").first else { return "ballast" }
        return "rule:\(name)"
    }

    // MARK: Operators

    package enum Command: String, CaseIterable, Sendable {
        case advance, hold, resume, rollback, finish
    }

    /// Applies an operator's command; throws when the canary is unknown, the command does
    /// not apply in its phase, or the store cannot keep the change with its audit entry (503:
    /// nothing changes then). Worked out on a copy, saved, then applied, like the overrides.
    @discardableResult
    package func command(_ command: Command, canary name: String, _ request: OperatorRequest) throws(OperatorCommandError) -> CanaryState {
        let wall = clock.wallTime()
        let state = try operatorWrites.withLock { _ throws(OperatorCommandError) -> CanaryState in
            let result = canaries.withLock { states -> Result<([CanaryState], CanaryState, String), OperatorCommandError> in
                var trial = states
                guard let index = trial.firstIndex(where: { $0.config.name == name }) else {
                    let known = trial.map(\.config.name).joined(separator: ", ")
                    return .failure(.notFound("no canary named '\(name)'" + (known.isEmpty ? "" : " (known: \(known))")))
                }
                let summary: String? =
                    switch command {
                    case .advance: trial[index].advance(at: wall)
                    case .hold: trial[index].hold(at: wall)
                    case .resume: trial[index].resume(at: wall)
                    case .rollback: trial[index].rollback(at: wall)
                    case .finish: trial[index].finish(at: wall)
                    }
                guard let summary else {
                    return .failure(.conflict("cannot \(command.rawValue) canary '\(name)': it is \(trial[index].summary)"))
                }
                return .success((trial, trial[index], summary))
            }
            let (trial, state, summary) = try result.get()
            try commit(trial, event(name, action: command.rawValue, reason: "\(summary); \(request.reason)", actor: request.actor))
            canaries.withLock { states in
                if let index = states.firstIndex(where: { $0.config.name == name }) { states[index] = state }
            }
            return state
        }
        publish(state, at: wall)
        return state
    }

    /// Starts a canary defined through the control API (saved with its audit entry before it
    /// runs; 503 and nothing started when the store cannot keep them).
    package func start(_ definition: CanaryConfig, _ request: OperatorRequest) throws(OperatorCommandError) -> CanaryState {
        let problems = definition.problems()
        guard problems.isEmpty else { throw .badRequest("invalid canary: " + problems.joined(separator: "; ")) }
        let state = CanaryState(config: definition, origin: request.actor, wall: clock.wallTime())
        try operatorWrites.withLock { _ throws(OperatorCommandError) in
            let trial = canaries.withLock { states -> [CanaryState]? in
                guard !states.contains(where: { $0.config.name == definition.name }) else { return nil }
                return states + [state]
            }
            guard let trial else { throw .conflict("a canary named '\(definition.name)' exists already") }
            try commit(
                trial,
                event(
                    definition.name, action: "start",
                    reason: "\(definition.from.description) -> \(definition.to.description) in steps of "
                        + definition.steps.map(CanaryState.percent).joined(separator: ", ") + "; \(request.reason)",
                    actor: request.actor))
            canaries.withLock { $0.append(state) }
        }
        publish(state, at: state.since)
        return state
    }

    // MARK: Shared with other instances

    private func publish(_ state: CanaryState, at wall: Double) {
        changesObserver?.canaryChanged(state, at: wall)
    }

    /// Takes a canary's state as another instance moved it (or started it): persisted and
    /// audited like a change of its own, but not published again. Returns whether anything
    /// changed.
    @discardableResult
    package func adopt(_ state: CanaryState, from instance: String) -> Bool {
        let (changed, states) = canaries.withLock { states -> (Bool, [CanaryState]) in
            if let index = states.firstIndex(where: { $0.config.name == state.config.name }) {
                guard states[index] != state else { return (false, states) }
                states[index] = state
            } else {
                states.append(state)
            }
            return (true, states)
        }
        guard changed else { return false }
        persist(states)
        audit(
            state.config.name, action: "shared", reason: "\(state.summary), as moved on instance \(instance)",
            actor: "instance:\(instance)")
        return true
    }

    // MARK: Persistence and audit

    private func persist(_ states: [CanaryState]) {
        guard let store else { return }
        do {
            if states.isEmpty {
                try store.removeState(forKey: Self.stateKey)
            } else {
                try store.setState(String(decoding: try JSONEncoder().encode(states), as: UTF8.self), forKey: Self.stateKey)
            }
        } catch {
            logger.error("canary states could not be saved", metadata: ["error": "\(error)"])
        }
    }

    private func audit(_ name: String, action: String, reason: String, actor: String) {
        let event = event(name, action: action, reason: reason, actor: actor)
        _ = writer?.submit(event)
        logger.notice("canary_changed \(event.target) \(action) by \(actor): \(reason)")
    }

    private func event(_ name: String, action: String, reason: String, actor: String) -> AuditEvent {
        AuditEvent(
            time: clock.wallTime(), kind: .canaryChanged, target: "canary=\(name)", action: action, reason: reason,
            actor: actor)
    }

    /// Saves an operator's change with its audit entry in one transaction, or throws the 503
    /// that refuses it (see `RuleController.commit`).
    private func commit(_ states: [CanaryState], _ event: AuditEvent) throws(OperatorCommandError) {
        do {
            if let store {
                let json = states.isEmpty ? nil : String(decoding: try JSONEncoder().encode(states), as: UTF8.self)
                try store.commitState(json, forKey: Self.stateKey, audit: event)
            } else {
                _ = writer?.submit(event)
            }
            logger.notice("canary_changed \(event.target) \(event.action) by \(event.actor): \(event.reason)")
        } catch {
            logger.error(
                "refused an operator write: the store did not keep it",
                metadata: ["target": "\(event.target)", "action": "\(event.action)", "error": "\(error)"])
            throw .storeRefusedWrite(error)
        }
    }
}
