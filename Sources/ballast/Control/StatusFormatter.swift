import BallastCore
import CommandLineSupport
import ControlModels
import Foundation

/// `ballast status` as aligned tables, from the control API's status document.
enum StatusFormatter {
    static func render(_ status: StatusDocument) -> String {
        var out = ""
        let uptime = status.uptimeSeconds.map { DurationText.format($0.rounded()) } ?? "?"
        out += "Ballast \(status.version), up \(uptime)\n"
        out += "degradation level \(status.degradation.level) of \(status.degradation.maxLevel) (\(status.degradation.source))"
        out += ", rules: \(status.rules.count) loaded, \(status.rules.firing.count) firing\n"
        if let error = status.rules.lastReloadError { out += "last rules reload FAILED: \(error)\n" }
        if status.store.status == "degraded" {
            out +=
                "store DEGRADED (\(status.store.reason ?? "?")): \(status.store.message ?? "")"
                + "; request records are dropped and operator writes refused until it takes writes again\n"
        }
        out += "\n"
        let regions = status.regions.map { region -> [String] in
            [
                region.name, region.state, "\(region.weight)/\(region.configuredWeight)", number(region.recent.rate, suffix: "/s"),
                percent(region.recent.errorRatio), milliseconds(region.recent.p99Seconds), region.circuit, "\(region.limits.inFlight)",
            ]
        }
        out += TextTable.render(header: ["REGION", "STATE", "WEIGHT", "RATE", "ERRORS", "P99", "CIRCUIT", "IN FLIGHT"], rows: regions)
        if !status.canaries.isEmpty {
            out += "\n" + canariesTable(status.canaries)
        }
        if !status.overrides.isEmpty {
            out += "\n" + overridesTable(status.overrides)
        }
        if !status.recentActions.isEmpty {
            out += "\n" + actionsTable(status.recentActions)
        }
        return out
    }

    static func canariesTable(_ canaries: [CanaryStatus]) -> String {
        guard !canaries.isEmpty else { return "no canaries\n" }
        func side(_ side: CanaryStatus.Side) -> String {
            [side.model, side.anthropicVersion].compactMap { $0 }.joined(separator: " ")
        }
        func figures(_ canary: CanaryStatus, _ name: String) -> String {
            let figures = canary.sides[name]
            return "\(percent(figures?.errorRatio)) err, \(milliseconds(figures?.p99Seconds)) p99"
        }
        return TextTable.render(
            header: ["CANARY", "FROM", "TO", "STATE", "OLD SIDE (5m)", "NEW SIDE (5m)"],
            rows: canaries.map { canary in
                [canary.name, side(canary.from), side(canary.to), canary.summary, figures(canary, "old"), figures(canary, "new")]
            })
    }

    static func overridesTable(_ overrides: [OverrideStatus]) -> String {
        TextTable.render(
            header: ["TARGET", "OVERRIDE", "BY", "EXPIRES", "REASON"],
            rows: overrides.map { override in
                let value = override.value.map { "=\($0)" } ?? ""
                let expires = override.expiresInSeconds.map { "in " + DurationText.format($0.rounded()) } ?? "never"
                return [override.target, override.action + value, override.actor, expires, override.reason]
            })
    }

    static func actionsTable(_ actions: [ActionEntry]) -> String {
        TextTable.render(
            header: ["TIME (UTC)", "TARGET", "ACTION", "BY", "WHY"],
            rows: actions.map { action in
                [clock(action.time ?? 0), action.target, action.action, action.actor, String(action.reason.prefix(120))]
            })
    }

    static func number(_ value: Double?, suffix: String) -> String {
        guard let value else { return "-" }
        return String(format: "%.1f", value) + suffix
    }

    static func percent(_ value: Double?) -> String {
        guard let value else { return "-" }
        return String(format: "%.2f%%", value * 100)
    }

    static func milliseconds(_ value: Double?) -> String {
        guard let value else { return "-" }
        return String(format: "%.0f ms", value * 1000)
    }

    static func clock(_ wall: Double) -> String {
        let seconds = Int(wall) % 86_400
        return String(format: "%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
    }
}
