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

    static func circuitOpens(_ region: String) -> String {
        "kind = 'circuit_changed' AND action = 'open' AND (target = 'region=\(region)' OR target LIKE 'region=\(region),%')"
    }

    /// Flaps: a circuit of `region` that closed and then opened again. A half-open circuit
    /// whose probes fail (the region is still down) opening again is the breaker working,
    /// not a flap.
    static func reopenedAfterClosing(_ region: String) -> String {
        let target = "(a.target = 'region=\(region)' OR a.target LIKE 'region=\(region),%')"
        return "kind = 'circuit_changed' AND action = 'open' AND id IN (SELECT a.id FROM audit a WHERE \(target) "
            + "AND a.kind = 'circuit_changed' AND a.action = 'open' AND EXISTS (SELECT 1 FROM audit c WHERE c.kind = 'circuit_changed' "
            + "AND c.action = 'closed' AND c.target = a.target AND c.time < a.time))"
    }
}
