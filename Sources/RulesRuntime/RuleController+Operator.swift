import BallastCore
import Foundation
import Logging
package import Rules
import Telemetry
import Resilience
import Synchronization

/// Operator overrides: the control API's writes, their persistence and expiry, and how they
/// shape what the router and the request path see.
extension RuleController {
    // MARK: Persistence

    static func loadOverrides(from store: TelemetryStore?, logger: Logger) -> OperatorOverrides {
        guard let store else { return OperatorOverrides() }
        do {
            guard let json = try store.state(forKey: overridesKey) else { return OperatorOverrides() }
            return try JSONDecoder().decode(OperatorOverrides.self, from: Data(json.utf8))
        } catch {
            logger.error("operator overrides could not be read; starting without them", metadata: ["error": "\(error)"])
            return OperatorOverrides()
        }
    }

    /// Saves overrides that changed without an operator's request (expiry, another
    /// instance's write). A failure is logged; it cannot resurrect anything an operator was
    /// told is gone: expired overrides are dropped when loaded, and shared ones are merged
    /// again from the other instances.
    private func persist(_ overrides: OperatorOverrides) {
        guard let store else { return }
        do {
            if overrides.isEmpty {
                try store.removeState(forKey: Self.overridesKey)
            } else {
                try store.setState(Self.encode(overrides), forKey: Self.overridesKey)
            }
        } catch {
            logger.error("operator overrides could not be saved; they hold until a restart", metadata: ["error": "\(error)"])
        }
    }

    private static func encode(_ overrides: OperatorOverrides) throws -> String {
        String(decoding: try JSONEncoder().encode(overrides), as: UTF8.self)
    }

    /// Saves an operator's change and its audit entry in one transaction, or throws the 503
    /// that refuses the change: an override the store did not keep would hold until a
    /// restart and then vanish (or, for a cleared one, come back), and the audit trail would
    /// not show it.
    private func persist(_ overrides: OperatorOverrides, audit event: AuditEvent) throws(OperatorCommandError) {
        guard let store else {
            _ = writer.submit(event)
            return
        }
        do {
            try store.commitState(overrides.isEmpty ? nil : Self.encode(overrides), forKey: Self.overridesKey, audit: event)
        } catch {
            logger.error(
                "refused an operator write: the store did not keep it",
                metadata: [
                    "target": "\(event.target)", "action": "\(event.action)", "error": "\(error)",
                ])
            throw .storeRefusedWrite(error)
        }
    }

    // MARK: Applying

    /// Pushes the weights and drains in force (rules, then overrides) to the router.
    func applyRouting() {
        let (weights, drained) = state.withLock { s -> ([String: Int], Set<String>) in
            (
                s.overrides.weights(rules: s.engine, regions: s.ruleSet.regions, totalRate: nil, peers: s.peers.removed),
                s.overrides.drainedRegions
            )
        }
        if !weights.isEmpty { router.setWeights(weights) }
        router.setDrained(drained)
    }

    /// Drops the overrides whose time is up, audits each, and hands control back to the rules.
    func expireOverrides() {
        let wall = clock.wallTime()
        let expiry = operatorWrites.withLock { _ -> ([OperatorOverride], OperatorOverrides, OperatorOverrides) in
            let result = state.withLock { s -> ([OperatorOverride], OperatorOverrides, OperatorOverrides) in
                guard !s.overrides.isEmpty else { return ([], s.overrides, s.overrides) }
                let before = s.overrides
                let expired = s.overrides.removeExpired(at: wall)
                guard !expired.isEmpty else { return ([], s.overrides, s.overrides) }
                s.engine.heldClosed = s.overrides.heldClosed
                s.version &+= 1
                return (expired, before, s.overrides)
            }
            if !result.0.isEmpty { persist(result.2) }
            return result
        }
        let (expired, before, overrides) = expiry
        guard !expired.isEmpty else { return }
        notifyOverridesObserver(from: before, to: overrides)
        for override in expired {
            audit(
                target: override.target, action: "expired",
                reason: "the operator's \(override.summary) (\(override.reason)) expired; the rules govern again",
                actor: "ballast")
        }
        applyRouting()
    }

    private func notifyOverridesObserver(from old: OperatorOverrides, to new: OperatorOverrides) {
        guard old != new, let observer = overridesObserver else { return }
        observer.overridesChanged(from: old, to: new)
    }

    func audit(target: String, kind: AuditEvent.Kind = .operatorOverride, action: String, reason: String, actor: String) {
        let event = AuditEvent(time: clock.wallTime(), kind: kind, target: target, action: action, reason: reason, actor: actor)
        _ = writer.submit(event)
        logger.notice("\(event.kind.rawValue) \(target) \(action) by \(actor): \(reason)")
    }

    private func override(
        _ action: OperatorOverride.Action, target: String, value: Int? = nil,
        _ request: OperatorRequest
    ) -> OperatorOverride {
        let wall = clock.wallTime()
        return OperatorOverride(
            action: action, target: target, value: value, reason: request.reason, actor: request.actor,
            setAt: overridesObserver?.stamp(wall) ?? wall, expiresAt: request.ttl.map { wall + $0 })
    }

    private static func reasonText(_ request: OperatorRequest) -> String {
        guard let ttl = request.ttl else { return request.reason }
        return "\(request.reason) (for \(DurationText.format(ttl)))"
    }

    /// Works out `change` on a copy of the state, saves the resulting overrides with their
    /// audit entry, and only then applies it (the engine's part of it run again on the state
    /// as it is by then, the overrides exactly as saved). A change the store refuses throws
    /// and leaves memory as it was. Operator writes are serialised (`operatorWrites`), so
    /// the overrides cannot change between the copy and the apply; the lock on the state is
    /// never held while SQLite waits.
    private func commit(
        target: String, action: String, _ request: OperatorRequest,
        _ change: (inout State) throws(OperatorCommandError) -> Void
    ) throws(OperatorCommandError) {
        let (before, after) = try operatorWrites.withLock { _ throws(OperatorCommandError) -> (OperatorOverrides, OperatorOverrides) in
            let (before, after) = try state.withLock { s throws(OperatorCommandError) -> (OperatorOverrides, OperatorOverrides) in
                var trial = s
                try change(&trial)
                return (s.overrides, trial.overrides)
            }
            let event = AuditEvent(
                time: clock.wallTime(), kind: .operatorOverride, target: target, action: action,
                reason: Self.reasonText(request), actor: request.actor)
            try persist(after, audit: event)
            state.withLock { s in
                // Checked on the copy a moment ago, with the same overrides: the engine's part
                // (circuit resets, the end of a hold-down) cannot fail now, and the overrides
                // are the ones saved whatever it does.
                do { try change(&s) } catch { logger.warning("an operator change failed on its second run", metadata: ["error": "\(error)"]) }
                s.overrides = after
                s.engine.heldClosed = after.heldClosed
                s.version &+= 1
            }
            logger.notice("\(event.kind.rawValue) \(target) \(action) by \(request.actor): \(event.reason)")
            return (before, after)
        }
        // Outside `operatorWrites`: the observer publishes to the other instances, whose
        // answers come back through `mergeSharedOverrides`, which takes that lock.
        notifyOverridesObserver(from: before, to: after)
        applyRouting()
    }

    private func requireRegion(_ name: String) throws(OperatorCommandError) {
        guard router.region(named: name) != nil else {
            let known = router.regions.map(\.name).joined(separator: ", ")
            throw .notFound("no region named '\(name)' (configured: \(known))")
        }
    }

    /// Refuses an action that would leave no region to serve traffic.
    private func requireAnotherRegion(besides region: String, in s: State) throws(OperatorCommandError) {
        let drained = s.overrides.drainedRegions.union([region])
        guard router.regions.contains(where: { !drained.contains($0.name) }) else {
            throw .conflict("that would leave no region to serve traffic; restore another region first")
        }
    }

    // MARK: Regions

    /// No new request goes to `region` (retries, probes and standby use included).
    package func drain(region: String, _ request: OperatorRequest) throws(OperatorCommandError) {
        try requireRegion(region)
        try commit(target: "region=\(region)", action: "drain", request) { (s: inout State) throws(OperatorCommandError) in
            try requireAnotherRegion(besides: region, in: s)
            s.overrides.setRegion(region, override(.drain, target: "region=\(region)", request))
        }
    }

    /// Clears the operator's drain or weight on `region` and ends a finished rule shift's
    /// hold-down at once. Returns who still holds the region away (rules, circuits).
    @discardableResult
    package func restore(region: String, _ request: OperatorRequest) throws(OperatorCommandError) -> [String] {
        try requireRegion(region)
        var heldBy: [String] = []
        let monotonic = clock.now()
        try commit(target: "region=\(region)", action: "restore", request) { (s: inout State) throws(OperatorCommandError) in
            s.overrides.clearRegion(region)
            if let held = s.overrides.heldOpen(region: region, model: nil), held.target.model == nil {
                s.overrides.clearCircuit(held.target)
            }
            s.engine.restoreRegion(region, at: monotonic)
            heldBy = s.engine.shiftOwners(region).map(\.description)
        }
        return heldBy
    }

    /// Pins `region`'s weight.
    package func setWeight(region: String, weight: Int, _ request: OperatorRequest) throws(OperatorCommandError) {
        try requireRegion(region)
        guard (0...1_000_000).contains(weight) else { throw .badRequest("weight must be between 0 and 1000000") }
        try commit(target: "region=\(region)", action: "weight=\(weight)", request) { (s: inout State) throws(OperatorCommandError) in
            s.overrides.setRegion(region, override(.weight, target: "region=\(region)", value: weight, request))
        }
    }

    // MARK: Circuits

    package func circuit(_ target: CircuitTarget, _ command: CircuitCommand, _ request: OperatorRequest) throws(OperatorCommandError) {
        if let region = target.region { try requireRegion(region) }
        let monotonic = clock.now()
        try commit(target: target.description, action: command.rawValue, request) { (s: inout State) throws(OperatorCommandError) in
            switch command {
            case .open:
                if let region = target.region, target.model == nil { try requireAnotherRegion(besides: region, in: s) }
                s.overrides.setCircuit(target, override(.circuitOpen, target: target.description, request))
            case .close:
                s.engine.resetCircuit(target, at: monotonic)
                s.overrides.setCircuit(target, override(.circuitClose, target: target.description, request))
            case .reset:
                s.engine.resetCircuit(target, at: monotonic)
                s.overrides.clearCircuit(target)
            }
        }
        if command != .open { publishClosed(target, reason: "\(command.rawValue) by operator:\(request.actor): \(request.reason)") }
        if target.model == nil, let region = target.region { regionNews(command == .open ? .out(region) : .back(region)) }
    }

    // MARK: Degradation

    /// Pins the degradation level (`nil` clears the pin: the rules govern again).
    package func setDegradation(level: Int?, _ request: OperatorRequest) throws(OperatorCommandError) {
        let action = level.map { "level=\($0)" } ?? "clear"
        try commit(target: "degradation", action: action, request) { (s: inout State) throws(OperatorCommandError) in
            guard let level else { return s.overrides.setDegradation(nil) }
            let maxLevel = s.ruleSet.degradation.maxLevel
            guard (0...maxLevel).contains(level) else {
                throw .badRequest("level must be between 0 and \(maxLevel) (the configured ladder has \(maxLevel) levels)")
            }
            s.overrides.setDegradation(override(.degrade, target: "degradation", value: level, request))
        }
    }

    // MARK: Shared with other instances

    /// Takes the overrides other instances published: `merge` turns the local overrides into
    /// the shared outcome (run under the lock, so an operator's write cannot slip between
    /// read and write). Persisted, audited and applied like a local write, but not published
    /// again. Returns whether anything changed.
    @discardableResult
    package func mergeSharedOverrides(source: String, _ merge: (OperatorOverrides) -> OperatorOverrides) -> Bool {
        let (before, after) = operatorWrites.withLock { _ -> (OperatorOverrides, OperatorOverrides) in
            let (before, after) = state.withLock { s -> (OperatorOverrides, OperatorOverrides) in
                let before = s.overrides
                let merged = merge(before)
                guard merged != before else { return (before, before) }
                s.overrides = merged
                s.engine.heldClosed = merged.heldClosed
                s.version &+= 1
                return (before, merged)
            }
            if before != after { persist(after) }
            return (before, after)
        }
        guard before != after else { return false }
        let changed = Set(before.all.map(\.target) + after.all.map(\.target)).filter { target in
            before.all.first { $0.target == target } != after.all.first { $0.target == target }
        }
        for target in changed.sorted() {
            let now = after.all.first { $0.target == target }
            audit(
                target: target, action: now.map { "shared \($0.summary)" } ?? "shared clear",
                reason: now.map { "\($0.reason) (set on another instance by \($0.actor))" } ?? "cleared on another instance",
                actor: source)
        }
        applyRouting()
        return true
    }

    /// The overrides in force now.
    var currentOverrides: OperatorOverrides { state.withLock { $0.overrides } }

    // MARK: Reading

    /// How many overrides of each action are in force (every action listed, 0 included).
    package func overrideCounts() -> [([String], Double)] {
        let all = state.withLock { $0.overrides.all }
        return OperatorOverride.Action.allCases.map { action in
            ([action.rawValue], Double(all.filter { $0.action == action }.count))
        }
    }

    package func view() -> RulesView {
        let monotonic = clock.now()
        let wall = clock.wallTime()
        let weights = router.currentWeights
        return state.withLock { s in
            RulesView(
                ruleSet: s.ruleSet, engine: s.engine, overrides: s.overrides, peers: s.peers, weights: weights,
                lastReloadError: s.lastError, lastReloadAt: s.lastReloadAt, monotonic: monotonic, wall: wall)
        }
    }
}
