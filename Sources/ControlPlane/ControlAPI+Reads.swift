import BallastCore
import ControlModels
import HTTPServer
import Rules
import Telemetry
import RulesRuntime
import Proxy
import Resilience
import Upstream

/// The control API's read documents. Each is built from one `RulesView` (a consistent copy
/// of the controller's state) plus telemetry windows, so a document never mixes two moments.
extension ControlAPI {
    /// The window the "recent" figures cover.
    static let recentWindow = 60.0

    func statusDocument() -> StatusDocument {
        let view = context.rules.view()
        let wall = context.clock.wallTime()
        let circuits = view.circuitTargets.map { view.circuitState($0) }
        let recent = (try? context.auditLog?.entries(limit: 10)) ?? []
        return StatusDocument(
            version: context.version, startedAt: Self.figure(context.startedAt), uptimeSeconds: Self.figure(wall - context.startedAt),
            now: Self.figure(wall), proxy: .init(inFlight: context.proxyInFlight()),
            upstream: .init(activeTransfers: context.client.activeTransfers, connectionsOpened: context.client.connectionsOpenedTotal),
            regions: regionDocuments(view), degradation: degradationDocument(view),
            circuits: .init(
                open: circuits.filter { $0 == .open }.count, halfOpen: circuits.filter { $0 == .halfOpen }.count, total: circuits.count),
            rules: .init(
                count: view.ruleSet.rules.count, firing: view.engine.firing.map(\.description),
                pending: view.engine.pending.map(\.description), lastReloadAt: Self.figure(view.lastReloadAt),
                lastReloadError: view.lastReloadError),
            overrides: view.overrides.all.map { overrideDocument($0) }, recentActions: recent.map { actionDocument($0) },
            canaries: context.migrations.states.map { canaryDocument($0) }, store: Self.storeDocument(context.storeHealth.report))
    }

    /// The store's health, as the status document and `/readyz` show it.
    static func storeDocument(_ report: StoreHealthReport) -> StoreStatus {
        StoreStatus(
            status: report.healthy ? "ok" : "degraded", reason: report.reason?.rawValue, message: report.message,
            failingSince: figure(report.failingSince), lastFailureAt: figure(report.lastFailureAt))
    }

    // MARK: Regions

    func regionDocuments(_ view: RulesView) -> [RegionStatus] {
        let concurrency = Dictionary(context.policy.concurrencySnapshots(), uniquingKeysWith: { first, _ in first })
        let pacing = context.policy.pacer.snapshot(now: context.clock.now())
        let drained = view.overrides.drainedRegions
        return context.router.regions.map { region in
            let name = region.name
            let weight = view.weights[name] ?? region.weight
            let circuit = view.circuitState(CircuitTarget(region: name))
            let entry = view.engine.routing.entries[name]
            let phase = entry?.phase(at: view.monotonic)
            let state: String =
                if drained.contains(name) {
                    "drained"
                } else if circuit != .closed {
                    "circuit_\(circuit.rawValue)"
                } else if let phase, phase != .restored {
                    phase.rawValue
                } else {
                    weight > 0 ? "serving" : "standby"
                }
            let shift = entry.map { entry in
                RegionStatus.Shift(
                    removed: Self.figure(entry.removed), phase: entry.phase(at: view.monotonic).rawValue,
                    heldBy: entry.owners.map(\.description).sorted())
            }
            let rates = pacing.filter { $0.key.hasPrefix(region.limitGroup + "|") }
            let limits = RegionStatus.Limits(
                limitGroup: region.limitGroup, concurrencyLimit: concurrency[name].map { $0.limit }, inFlight: concurrency[name]?.inFlight ?? 0,
                rateAllowanceRPS: Self.figure(rates.compactMap(\.effectiveRate).min()), rateQueueDepth: rates.reduce(0) { $0 + $1.waiting })
            return RegionStatus(
                name: name, baseURL: region.baseURL, configuredWeight: region.weight, weight: weight, state: state,
                drained: drained.contains(name), circuit: circuit.rawValue, override: view.overrides.regions[name].map { overrideDocument($0) },
                shift: shift, limits: limits, recent: recentDocument(TelemetryFilter(region: name)))
        }
    }

    /// Figures of the last minute for `filter`.
    func recentDocument(_ filter: TelemetryFilter, window: Double = ControlAPI.recentWindow) -> RecentFigures {
        guard let stats = try? context.windows.stats(last: window, filter: filter) else { return RecentFigures(unavailableOver: window) }
        return RecentFigures(
            windowSeconds: window, requests: stats.requests, rate: Self.figure(stats.rate),
            errorRatio: Self.figure(stats.ratio([.upstream, .local, .ballast])), rateLimitRatio: Self.figure(stats.ratio429),
            p50Seconds: Self.figure(stats.latencyQuantile(0.5)), p99Seconds: Self.figure(stats.latencyQuantile(0.99)),
            ttfbP99Seconds: Self.figure(stats.ttfbQuantile(0.99)))
    }

    // MARK: Circuits, models, degradation

    func circuitDocuments(_ view: RulesView) -> [CircuitDocument] {
        view.circuitTargets.map { circuitDocument($0, view) }
    }

    func circuitDocument(_ target: CircuitTarget, _ view: RulesView) -> CircuitDocument {
        let breaker = view.engine.circuits[target]
        return CircuitDocument(
            id: target.description, region: target.region, model: target.model, state: view.circuitState(target).rawValue,
            rulesState: view.engine.circuitState(target).rawValue, trips: breaker?.trips ?? 0,
            retryAfterSeconds: Self.figure(breaker?.retryAfter(at: view.monotonic).seconds), probePermits: breaker?.probePermits ?? 0,
            trippedBy: breaker?.owner?.description,
            override: view.overrides.circuits[target.description].map { overrideDocument($0) })
    }

    func modelDocuments(_ view: RulesView) -> [ModelStatus] {
        var names = Set(context.rules.source.labelValues(.model))
        for target in view.circuitTargets { if let model = target.model { names.insert(model) } }
        let level = view.degradationLevel
        let policy = view.ruleSet.degradation.policy(level: level)
        return names.sorted().map { model in
            let fallback = view.ruleSet.degradation.fallback.fallback(for: model)
            return ModelStatus(
                name: model, circuit: view.circuitState(CircuitTarget(model: model)).rawValue, fallback: fallback,
                degradedTo: policy.fallback ? fallback : nil, recent: recentDocument(TelemetryFilter(model: model)))
        }
    }

    func degradationDocument(_ view: RulesView) -> DegradationStatus {
        let override = view.overrides.degradation
        return DegradationStatus(
            level: view.degradationLevel, rulesLevel: view.rulesLevel, instanceLevel: view.engine.degradationLevel,
            peersLevel: view.peers.degradation, maxLevel: view.ruleSet.degradation.maxLevel,
            source: override != nil ? "operator" : view.peers.degradation > view.engine.degradationLevel ? "instances" : "rules",
            heldBy: view.engine.degradation.holder?.description, override: override.map { overrideDocument($0) })
    }

    // MARK: Rules, overrides, actions, windows

    func rulesDocument(_ view: RulesView) -> RulesDocument {
        let rules = view.ruleSet.groups.flatMap { group in
            group.rules.map { rule in
                let instances = (view.engine.alerts[rule.key] ?? [:]).sorted { $0.key < $1.key }
                let state =
                    instances.contains { $0.value.phase == .firing }
                    ? "firing"
                    : instances.isEmpty ? "inactive" : "pending"
                return RulesDocument.Rule(
                    group: group.name, name: rule.name, intervalSeconds: group.interval.seconds, when: rule.expression.displayText,
                    forSeconds: rule.pendingFor.seconds, action: rule.action?.kind, state: state,
                    instances: instances.map { labels, alert in
                        RulesDocument.Alert(
                            labels: labels.description, phase: alert.phase.rawValue,
                            activeForSeconds: Self.figure((view.monotonic - alert.activeSince).seconds))
                    },
                    lastValues: view.engine.lastValues[rule.key], source: "\(rule.location)")
            }
        }
        return RulesDocument(
            rules: rules, files: view.ruleSet.files, lastReloadAt: Self.figure(view.lastReloadAt), lastReloadError: view.lastReloadError)
    }

    func overrideDocument(_ override: OperatorOverride) -> OverrideStatus {
        let wall = context.clock.wallTime()
        return OverrideStatus(
            action: override.action.rawValue, target: override.target, value: override.value, reason: override.reason,
            actor: override.actor, setAt: Self.figure(override.setAt), expiresAt: Self.figure(override.expiresAt),
            expiresInSeconds: Self.figure(override.expiresAt.map { max(0, $0 - wall) }))
    }

    func actionDocument(_ entry: AuditEntry) -> ActionEntry {
        ActionEntry(
            id: entry.id, time: Self.figure(entry.time), kind: entry.kind, target: entry.target, action: entry.action, reason: entry.reason,
            actor: entry.actor)
    }

    /// `?since=&until=` (wall seconds), `before=` (an id, for the next page), `limit=` (1 to
    /// 1000, default 100), `kind=`, `target=`.
    func actionsDocument(_ request: HTTPRequest) throws(ControlError) -> ControlReply.Actions {
        guard let auditLog = context.auditLog else { return ControlReply.Actions(actions: [], nextBefore: nil) }
        let since = try Self.number(request, "since")
        let until = try Self.number(request, "until")
        let before = try Self.integer(request, "before")
        let limit = try Self.integer(request, "limit") ?? 100
        guard (1...1000).contains(limit) else { throw .badRequest("'limit' must be between 1 and 1000") }
        let kind = request.queryValue("kind")
        if let kind, AuditEvent.Kind(rawValue: kind) == nil {
            throw .badRequest("'kind' must be one of \(AuditEvent.Kind.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        let entries: [AuditEntry]
        do {
            entries = try auditLog.entries(
                since: since, until: until, before: before, kind: kind,
                target: request.queryValue("target"), limit: limit)
        } catch {
            throw ControlError(status: 503, type: "store_unavailable", message: "the audit log could not be read: \(error)")
        }
        return ControlReply.Actions(actions: entries.map { actionDocument($0) }, nextBefore: entries.count == limit ? entries.last?.id : nil)
    }

    /// `?window=5m&region=&model=`: one telemetry window, as the rules see it.
    func windowDocument(_ request: HTTPRequest) throws(ControlError) -> WindowDocument {
        let text = request.queryValue("window") ?? "1m"
        guard let window = DurationText.seconds(text), window >= 1, window <= 86_400 else {
            throw .badRequest("'window' must be a duration from 1s to 24h, e.g. 30s, 5m, 1h")
        }
        let region = request.queryValue("region")
        if let region, context.router.region(named: region) == nil { throw .notFound("no region named '\(region)'") }
        let filter = TelemetryFilter(region: region, model: request.queryValue("model"))
        let stats: WindowStats
        do {
            stats = try context.windows.stats(last: window, filter: filter)
        } catch {
            throw ControlError(status: 503, type: "store_unavailable", message: "the telemetry could not be read: \(error)")
        }
        var classes: [String: Int] = [:]
        for outcome in OutcomeClass.allCases { classes[outcome.rawValue] = stats.counts.count(outcome) }
        return WindowDocument(
            windowSeconds: window, region: region, model: filter.model, requests: stats.requests, rate: Self.figure(stats.rate),
            classes: classes, errorRatio: Self.figure(stats.ratio([.upstream, .local, .ballast])),
            rateLimitRatio: Self.figure(stats.ratio429), attempts: stats.counts.attempts,
            attemptRateLimitRatio: Self.figure(stats.attemptRatio429), retries: stats.counts.retries, hedged: stats.counts.hedged,
            cacheHits: stats.counts.cacheHits,
            latencySeconds: .init(
                p50: Self.figure(stats.latencyQuantile(0.5)), p90: Self.figure(stats.latencyQuantile(0.9)),
                p99: Self.figure(stats.latencyQuantile(0.99))),
            ttfbSeconds: .init(p50: Self.figure(stats.ttfbQuantile(0.5)), p99: Self.figure(stats.ttfbQuantile(0.99))))
    }

    private static func integer(_ request: HTTPRequest, _ name: String) throws(ControlError) -> Int? {
        guard let text = request.queryValue(name) else { return nil }
        guard let value = Int(text) else { throw .badRequest("'\(name)' must be a whole number") }
        return value
    }

    private static func number(_ request: HTTPRequest, _ name: String) throws(ControlError) -> Double? {
        guard let text = request.queryValue(name) else { return nil }
        guard let value = Double(text), value.isFinite else { throw .badRequest("'\(name)' must be a number") }
        return value
    }
}
