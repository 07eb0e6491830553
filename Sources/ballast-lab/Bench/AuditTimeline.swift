import Foundation
import Telemetry

/// Scalar questions about the `audit` table of one Ballast store, with times in seconds
/// since the simulator started (the clock the fault schedule runs on).
struct AuditTimeline: Sendable {
    let store: TelemetryStore
    /// Wall time (Unix seconds) when the simulator started.
    let origin: Double

    init(path: String, origin: Double) throws {
        store = try TelemetryStore(path: path)
        self.origin = origin
    }

    /// Seconds after the simulator start of the first row matching `condition` at or after
    /// simulator time `from`; nil when there is none.
    func first(_ condition: String, from: Double) throws -> Double? {
        let sql = "SELECT min(time) FROM audit WHERE (\(condition)) AND time >= \(origin + from)"
        return try store.scalar(sql).flatMap(Double.init).map { $0 - origin }
    }

    /// Rows matching `condition` at or after simulator time `from`.
    func count(_ condition: String, from: Double = 0) throws -> Int {
        let sql = "SELECT count(*) FROM audit WHERE (\(condition)) AND time >= \(origin + from)"
        return try store.scalar(sql).flatMap(Int.init) ?? 0
    }

    /// The `action` of every row matching `condition`, in order (e.g. the degradation levels).
    func actions(_ condition: String) throws -> [String] {
        let total = try count(condition)
        var actions: [String] = []
        for offset in 0..<total {
            let sql = "SELECT action FROM audit WHERE (\(condition)) AND time >= \(origin) ORDER BY time, id LIMIT 1 OFFSET \(offset)"
            if let action = try store.scalar(sql) { actions.append(action) }
        }
        return actions
    }

    /// Flaps of the degradation level: each rise that comes after a fall (1, 0, 1 is one).
    /// The ladder is meant to rise fast and fall slowly, step by step, once per episode.
    func degradationFlaps() throws -> Int {
        let levels = try actions("kind = 'degradation_changed'").compactMap { Int($0.dropFirst("level=".count)) }
        var flaps = 0
        var fell = false
        var previous = 0
        for level in levels {
            if level < previous { fell = true }
            if level > previous, fell { flaps += 1 }
            previous = level
        }
        return flaps
    }

    /// The highest degradation level reached.
    func highestLevel() throws -> Int {
        try actions("kind = 'degradation_changed'").compactMap { Int($0.dropFirst("level=".count)) }.max() ?? 0
    }

    /// Every row from simulator time `from` on, one line each, for the bench log.
    func lines(from: Double = 0) throws -> [String] {
        let total = try count("1", from: from)
        var lines: [String] = []
        for offset in 0..<total {
            let sql = """
                SELECT printf('t=%.2fs %s %s %s (%s)', time - \(origin), kind, target, action, actor)
                FROM audit WHERE time >= \(origin + from) ORDER BY time, id LIMIT 1 OFFSET \(offset)
                """
            if let line = try store.scalar(sql) { lines.append(line) }
        }
        return lines
    }

    /// The audit condition for the state changes of a region: circuit transitions and
    /// weight shifts of `region=<name>` (and of its per-model circuits).
    static func regionChanges(_ region: String) -> String {
        "kind IN ('circuit_changed', 'route_shifted') AND (target = 'region=\(region)' OR target LIKE 'region=\(region),%')"
    }

    /// Circuit transitions and weight shifts of every region (not the per-model circuits).
    static let anyRegionChange = "kind IN ('circuit_changed', 'route_shifted') AND target LIKE 'region=%' AND target NOT LIKE '%,model=%'"

    /// Circuit transitions of `model`'s circuits (model-wide and per region).
    static func modelCircuitChanges(_ model: String) -> String {
        "kind = 'circuit_changed' AND (target = 'model=\(model)' OR target LIKE '%,model=\(model)')"
    }

    static func circuitOpens(_ region: String) -> String {
        "kind = 'circuit_changed' AND action = 'open' AND (target = 'region=\(region)' OR target LIKE 'region=\(region),%')"
    }

    /// Flaps: a circuit of `region` that closed and then opened again. A half-open circuit
    /// whose probes fail (the region is still down) opening again is the breaker working,
    /// not a flap.
    static func reopenedAfterClosing(_ region: String) -> String {
        reopenedAfterClosing(targets: "(a.target = 'region=\(region)' OR a.target LIKE 'region=\(region),%')")
    }

    /// Flaps of `model`'s circuits (model-wide and per region), as for a region.
    static func modelReopenedAfterClosing(_ model: String) -> String {
        reopenedAfterClosing(targets: "(a.target = 'model=\(model)' OR a.target LIKE '%,model=\(model)')")
    }

    /// `targets` is a condition on `a.target`.
    private static func reopenedAfterClosing(targets target: String) -> String {
        "kind = 'circuit_changed' AND action = 'open' AND id IN (SELECT a.id FROM audit a WHERE \(target) "
            + "AND a.kind = 'circuit_changed' AND a.action = 'open' AND EXISTS (SELECT 1 FROM audit c WHERE c.kind = 'circuit_changed' "
            + "AND c.action = 'closed' AND c.target = a.target AND c.time < a.time))"
    }
}
