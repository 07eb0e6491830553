import ControlModels
import Foundation
import Telemetry
import CommandLineSupport

/// Renders a `TelemetrySummary` as aligned tables for people or JSON for scripts.
enum StatsFormatter {
    static func tables(_ summary: TelemetrySummary, path: String) -> String {
        let header = ["region", "model", "requests", "rate/s", "success", "p50", "p99", "429s", "retries", "hedged", "cache hits"]
        let rows = summary.rows.map { row in
            [
                row.region, row.model, "\(row.requests)", String(format: "%.2f", row.rate),
                row.successRatio.map { String(format: "%.2f%%", $0 * 100) } ?? "-",
                row.p50.map(milliseconds) ?? "-", row.p99.map(milliseconds) ?? "-",
                "\(row.rateLimited)", "\(row.retries)", "\(row.hedged)", "\(row.cacheHits)",
            ]
        }
        var out = "\(path): \(timestamp(summary.since)) to \(timestamp(summary.until))\n\n"
        out += rows.isEmpty ? "no requests in this range\n" : TextTable.render(header: header, rows: rows)
        out += "\nactions (\(summary.actions.count))\n"
        if summary.actions.isEmpty {
            out += "none\n"
        } else {
            out += TextTable.render(
                header: ["time", "kind", "target", "action", "by", "why"],
                rows: summary.actions.map {
                    [timestamp($0.time), $0.kind, $0.target, $0.action, $0.actor, $0.reason]
                })
        }
        return out
    }

    /// Indented, keys sorted, as `--json` prints the control API's documents. The figures are read from the store, so all finite; a failure
    /// to encode would still print, as an empty object.
    static func json(_ summary: TelemetrySummary, usage: UsageSummary? = nil) -> String {
        (try? ControlCoding.pretty(StatsDocument(summary, usage: usage))) ?? "{}"
    }

    private static func milliseconds(_ seconds: Double) -> String {
        seconds < 10 ? String(format: "%.0f ms", seconds * 1000) : String(format: "%.1f s", seconds)
    }

    private static func timestamp(_ time: Double) -> String {
        let formatter = ISO8601DateFormatter()
        return formatter.string(from: Date(timeIntervalSince1970: time))
    }
}
