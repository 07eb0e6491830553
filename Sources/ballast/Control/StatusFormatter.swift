import BallastCore
import Foundation
import CommandLineSupport

/// `ballast status` as aligned tables, from the control API's status document.
enum StatusFormatter {
    static func render(_ status: [String: Any]) -> String {
        var out = ""
        let degradation = status["degradation"] as? [String: Any] ?? [:]
        let rules = status["rules"] as? [String: Any] ?? [:]
        let uptime = (status["uptime_seconds"] as? Double).map { DurationText.format($0.rounded()) } ?? "?"
        out += "Ballast \(status["version"] as? String ?? "?"), up \(uptime)\n"
        out +=
            "degradation level \(degradation["level"] as? Int ?? 0) of \(degradation["max_level"] as? Int ?? 0)"
            + " (\(degradation["source"] as? String ?? "rules"))"
        out += ", rules: \(rules["count"] as? Int ?? 0) loaded, \((rules["firing"] as? [String])?.count ?? 0) firing\n"
        if let error = rules["last_reload_error"] as? String { out += "last rules reload FAILED: \(error)\n" }
        if let store = status["store"] as? [String: Any], store["status"] as? String == "degraded" {
            out +=
                "store DEGRADED (\(store["reason"] as? String ?? "?")): \(store["message"] as? String ?? "")"
                + "; request records are dropped and operator writes refused until it takes writes again\n"
        }
        out += "\n"
        let regions = (status["regions"] as? [[String: Any]] ?? []).map { region -> [String] in
            let recent = region["recent"] as? [String: Any] ?? [:]
            let limits = region["limits"] as? [String: Any] ?? [:]
            return [
                region["name"] as? String ?? "", region["state"] as? String ?? "",
                "\(region["weight"] as? Int ?? 0)/\(region["configured_weight"] as? Int ?? 0)",
                number(recent["rate"], suffix: "/s"), percent(recent["error_ratio"]), milliseconds(recent["p99_seconds"]),
                region["circuit"] as? String ?? "", "\(limits["in_flight"] as? Int ?? 0)",
            ]
        }
        out += TextTable.render(header: ["REGION", "STATE", "WEIGHT", "RATE", "ERRORS", "P99", "CIRCUIT", "IN FLIGHT"], rows: regions)
        let canaries = status["canaries"] as? [[String: Any]] ?? []
        if !canaries.isEmpty {
            out += "\n" + canariesTable(canaries)
        }
        let overrides = status["overrides"] as? [[String: Any]] ?? []
        if !overrides.isEmpty {
            out += "\n" + overridesTable(overrides)
        }
        let actions = status["recent_actions"] as? [[String: Any]] ?? []
        if !actions.isEmpty {
            out += "\n" + actionsTable(actions)
        }
        return out
    }

    static func canariesTable(_ canaries: [[String: Any]]) -> String {
        guard !canaries.isEmpty else { return "no canaries\n" }
        func side(_ value: Any?) -> String {
            let side = value as? [String: Any] ?? [:]
            return [side["model"] as? String, side["anthropic_version"] as? String].compactMap { $0 }.joined(separator: " ")
        }
        func figures(_ canary: [String: Any], _ name: String) -> String {
            let sides = canary["sides"] as? [String: Any] ?? [:]
            let figures = sides[name] as? [String: Any] ?? [:]
            return "\(percent(figures["error_ratio"])) err, \(milliseconds(figures["p99_seconds"])) p99"
        }
        return TextTable.render(
            header: ["CANARY", "FROM", "TO", "STATE", "OLD SIDE (5m)", "NEW SIDE (5m)"],
            rows: canaries.map { canary in
                [
                    canary["name"] as? String ?? "", side(canary["from"]), side(canary["to"]), canary["summary"] as? String ?? "",
                    figures(canary, "old"), figures(canary, "new"),
                ]
            })
    }

    static func overridesTable(_ overrides: [[String: Any]]) -> String {
        TextTable.render(
            header: ["TARGET", "OVERRIDE", "BY", "EXPIRES", "REASON"],
            rows: overrides.map { override in
                let action = override["action"] as? String ?? ""
                let value = (override["value"] as? Int).map { "=\($0)" } ?? ""
                let expires = (override["expires_in_seconds"] as? Double).map { "in " + DurationText.format($0.rounded()) } ?? "never"
                return [
                    override["target"] as? String ?? "", action + value, override["actor"] as? String ?? "", expires,
                    override["reason"] as? String ?? "",
                ]
            })
    }

    static func actionsTable(_ actions: [[String: Any]]) -> String {
        TextTable.render(
            header: ["TIME (UTC)", "TARGET", "ACTION", "BY", "WHY"],
            rows: actions.map { action in
                [
                    clock(action["time"] as? Double ?? 0), action["target"] as? String ?? "", action["action"] as? String ?? "",
                    action["actor"] as? String ?? "", String((action["reason"] as? String ?? "").prefix(120)),
                ]
            })
    }

    static func number(_ value: Any?, suffix: String) -> String {
        guard let value = value as? Double else { return "-" }
        return String(format: "%.1f", value) + suffix
    }

    static func percent(_ value: Any?) -> String {
        guard let value = value as? Double else { return "-" }
        return String(format: "%.2f%%", value * 100)
    }

    static func milliseconds(_ value: Any?) -> String {
        guard let value = value as? Double else { return "-" }
        return String(format: "%.0f ms", value * 1000)
    }

    static func clock(_ wall: Double) -> String {
        let seconds = Int(wall) % 86_400
        return String(format: "%02d:%02d:%02d", seconds / 3600, seconds / 60 % 60, seconds % 60)
    }
}
