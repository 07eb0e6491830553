import BallastCore
import Foundation
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

    func statusDocument() -> [String: Any] {
        let view = context.rules.view()
        let wall = context.clock.wallTime()
        let circuits = view.circuitTargets.map { view.circuitState($0) }
        let recent = (try? context.auditLog?.entries(limit: 10)) ?? []
        return [
            "version": context.version,
            "started_at": ControlJSON.number(context.startedAt),
            "uptime_seconds": ControlJSON.number(wall - context.startedAt),
            "now": ControlJSON.number(wall),
            "proxy": ["in_flight": context.proxyInFlight()],
            "upstream": [
                "active_transfers": context.client.activeTransfers,
                "connections_opened": context.client.connectionsOpenedTotal,
            ],
            "regions": regionDocuments(view),
            "degradation": degradationDocument(view),
            "circuits": [
                "open": circuits.filter { $0 == .open }.count, "half_open": circuits.filter { $0 == .halfOpen }.count,
                "total": circuits.count,
            ],
            "rules": [
                "count": view.ruleSet.rules.count, "firing": view.engine.firing.map(\.description),
                "pending": view.engine.pending.map(\.description),
                "last_reload_at": ControlJSON.number(view.lastReloadAt),
                "last_reload_error": ControlJSON.optional(view.lastReloadError),
            ],
            "overrides": view.overrides.all.map { overrideDocument($0) },
            "recent_actions": recent.map { actionDocument($0) },
            "canaries": context.migrations.states.map { canaryDocument($0) },
            "store": Self.storeDocument(context.storeHealth.report),
        ]
    }

    /// The store's health, as the status document and `/readyz` show it.
    static func storeDocument(_ report: StoreHealthReport) -> [String: Any] {
        [
            "status": report.healthy ? "ok" : "degraded",
            "reason": ControlJSON.optional(report.reason?.rawValue),
            "message": ControlJSON.optional(report.message),
            "failing_since": ControlJSON.number(report.failingSince),
            "last_failure_at": ControlJSON.number(report.lastFailureAt),
        ]
    }

    // MARK: Regions

    func regionDocuments(_ view: RulesView) -> [[String: Any]] {
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
            var document: [String: Any] = [
                "name": name, "base_url": region.baseURL, "configured_weight": region.weight, "weight": weight,
                "state": state, "drained": drained.contains(name), "circuit": circuit.rawValue,
                "override": ControlJSON.optional(view.overrides.regions[name].map { overrideDocument($0) }),
            ]
            if let entry {
                document["shift"] = [
                    "removed": ControlJSON.number(entry.removed), "phase": entry.phase(at: view.monotonic).rawValue,
                    "held_by": entry.owners.map(\.description).sorted(),
                ]
            } else {
                document["shift"] = NSNull()
            }
            let rates = pacing.filter { $0.key.hasPrefix(region.limitGroup + "|") }
            document["limits"] = [
                "limit_group": region.limitGroup,
                "concurrency_limit": ControlJSON.optional(concurrency[name].map { $0.limit }),
                "in_flight": concurrency[name]?.inFlight ?? 0,
                "rate_allowance_rps": ControlJSON.number(rates.compactMap(\.effectiveRate).min()),
                "rate_queue_depth": rates.reduce(0) { $0 + $1.waiting },
            ]
            document["recent"] = recentDocument(TelemetryFilter(region: name))
            return document
        }
    }

    /// Figures of the last minute for `filter`.
    func recentDocument(_ filter: TelemetryFilter, window: Double = ControlAPI.recentWindow) -> [String: Any] {
        guard let stats = try? context.windows.stats(last: window, filter: filter) else { return ["window_seconds": window] }
        return [
            "window_seconds": window,
            "requests": stats.requests,
            "rate": ControlJSON.number(stats.rate),
            "error_ratio": ControlJSON.number(stats.ratio([.upstream, .local, .ballast])),
            "rate_limit_ratio": ControlJSON.number(stats.ratio429),
            "p50_seconds": ControlJSON.number(stats.latencyQuantile(0.5)),
            "p99_seconds": ControlJSON.number(stats.latencyQuantile(0.99)),
            "ttfb_p99_seconds": ControlJSON.number(stats.ttfbQuantile(0.99)),
        ]
    }

    // MARK: Circuits, models, degradation

    func circuitDocuments(_ view: RulesView) -> [[String: Any]] {
        view.circuitTargets.map { circuitDocument($0, view) }
    }

    func circuitDocument(_ target: CircuitTarget, _ view: RulesView) -> [String: Any] {
        let breaker = view.engine.circuits[target]
        return [
            "id": target.description,
            "region": ControlJSON.optional(target.region),
            "model": ControlJSON.optional(target.model),
            "state": view.circuitState(target).rawValue,
            "rules_state": view.engine.circuitState(target).rawValue,
            "trips": breaker?.trips ?? 0,
            "retry_after_seconds": ControlJSON.number(breaker?.retryAfter(at: view.monotonic)),
            "probe_permits": breaker?.probePermits ?? 0,
            "tripped_by": ControlJSON.optional(breaker?.owner?.description),
            "override": ControlJSON.optional(view.overrides.circuits[target.description].map { overrideDocument($0) }),
        ]
    }

    func modelDocuments(_ view: RulesView) -> [[String: Any]] {
        var names = Set(context.rules.source.labelValues(.model))
        for target in view.circuitTargets { if let model = target.model { names.insert(model) } }
        let level = view.degradationLevel
        let policy = view.ruleSet.degradation.policy(level: level)
        return names.sorted().map { model in
            let fallback = view.ruleSet.degradation.fallback.fallback(for: model)
            return [
                "name": model,
                "circuit": view.circuitState(CircuitTarget(model: model)).rawValue,
                "fallback": ControlJSON.optional(fallback),
                "degraded_to": ControlJSON.optional(policy.fallback ? fallback : nil),
                "recent": recentDocument(TelemetryFilter(model: model)),
            ]
        }
    }

    func degradationDocument(_ view: RulesView) -> [String: Any] {
        let override = view.overrides.degradation
        return [
            "level": view.degradationLevel,
            "rules_level": view.rulesLevel,
            "instance_level": view.engine.degradationLevel,
            "peers_level": view.peers.degradation,
            "max_level": view.ruleSet.degradation.maxLevel,
            "source": override != nil ? "operator" : view.peers.degradation > view.engine.degradationLevel ? "instances" : "rules",
            "held_by": ControlJSON.optional(view.engine.degradation.holder?.description),
            "override": ControlJSON.optional(override.map { overrideDocument($0) }),
        ]
    }

    // MARK: Rules, overrides, actions, windows

    func rulesDocument(_ view: RulesView) -> [String: Any] {
        let rules: [[String: Any]] = view.ruleSet.groups.flatMap { group in
            group.rules.map { rule -> [String: Any] in
                let instances = (view.engine.alerts[rule.key] ?? [:]).sorted { $0.key < $1.key }
                let state =
                    instances.contains { $0.value.phase == .firing }
                    ? "firing"
                    : instances.isEmpty ? "inactive" : "pending"
                return [
                    "group": group.name, "name": rule.name, "interval_seconds": group.interval,
                    "when": rule.expression.displayText, "for_seconds": rule.pendingFor,
                    "action": ControlJSON.optional(rule.action?.kind),
                    "state": state,
                    "instances": instances.map { labels, alert in
                        [
                            "labels": labels.description, "phase": alert.phase.rawValue,
                            "active_for_seconds": ControlJSON.number(view.monotonic - alert.activeSince),
                        ]
                    },
                    "last_values": ControlJSON.optional(view.engine.lastValues[rule.key]),
                    "source": "\(rule.location)",
                ]
            }
        }
        return [
            "rules": rules, "files": view.ruleSet.files,
            "last_reload_at": ControlJSON.number(view.lastReloadAt),
            "last_reload_error": ControlJSON.optional(view.lastReloadError),
        ]
    }

    func overrideDocument(_ override: OperatorOverride) -> [String: Any] {
        let wall = context.clock.wallTime()
        return [
            "action": override.action.rawValue, "target": override.target, "value": ControlJSON.optional(override.value),
            "reason": override.reason, "actor": override.actor, "set_at": ControlJSON.number(override.setAt),
            "expires_at": ControlJSON.number(override.expiresAt),
            "expires_in_seconds": ControlJSON.number(override.expiresAt.map { max(0, $0 - wall) }),
        ]
    }

    func actionDocument(_ entry: AuditEntry) -> [String: Any] {
        [
            "id": entry.id, "time": ControlJSON.number(entry.time), "kind": entry.kind, "target": entry.target,
            "action": entry.action, "reason": entry.reason, "actor": entry.actor,
        ]
    }

    /// `?since=&until=` (wall seconds), `before=` (an id, for the next page), `limit=` (1 to
    /// 1000, default 100), `kind=`, `target=`.
    func actionsDocument(_ request: HTTPRequest) throws(ControlError) -> [String: Any] {
        guard let auditLog = context.auditLog else { return ["actions": [], "next_before": NSNull()] }
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
        return [
            "actions": entries.map { actionDocument($0) },
            "next_before": entries.count == limit ? ControlJSON.optional(entries.last?.id) : NSNull(),
        ]
    }

    /// `?window=5m&region=&model=`: one telemetry window, as the rules see it.
    func windowDocument(_ request: HTTPRequest) throws(ControlError) -> [String: Any] {
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
        return [
            "window_seconds": window, "region": ControlJSON.optional(region), "model": ControlJSON.optional(filter.model),
            "requests": stats.requests, "rate": ControlJSON.number(stats.rate), "classes": classes,
            "error_ratio": ControlJSON.number(stats.ratio([.upstream, .local, .ballast])),
            "rate_limit_ratio": ControlJSON.number(stats.ratio429),
            "attempts": stats.counts.attempts, "attempt_rate_limit_ratio": ControlJSON.number(stats.attemptRatio429),
            "retries": stats.counts.retries, "hedged": stats.counts.hedged, "cache_hits": stats.counts.cacheHits,
            "latency_seconds": [
                "p50": ControlJSON.number(stats.latencyQuantile(0.5)),
                "p90": ControlJSON.number(stats.latencyQuantile(0.9)),
                "p99": ControlJSON.number(stats.latencyQuantile(0.99)),
            ],
            "ttfb_seconds": [
                "p50": ControlJSON.number(stats.ttfbQuantile(0.5)),
                "p99": ControlJSON.number(stats.ttfbQuantile(0.99)),
            ],
        ]
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
