import BallastTesting
import Foundation

/// The demo's closing table, shaped like the source write-up's before/after table.
struct DemoSummary {
    let direct: LoadReport
    let ballast: LoadReport

    var table: String {
        func ms(_ value: Double) -> String { String(format: "%.0f ms", value) }
        func pct(_ value: Double) -> String { String(format: "%.2f%%", value * 100) }
        let rows: [(String, String, String, String)] = [
            ("requests", "\(direct.started)", "\(ballast.started)", ""),
            ("error rate", pct(direct.errorRatio), pct(ballast.errorRatio),
             direct.errorRatio == 0 ? "" : ballast.failed == 0 ? "none through Ballast"
                : String(format: "%.0fx fewer", direct.errorRatio / ballast.errorRatio)),
            ("goodput", String(format: "%.1f req/s", direct.goodput), String(format: "%.1f req/s", ballast.goodput), ""),
            ("p50 latency", ms(direct.latencyMs(50)), ms(ballast.latencyMs(50)), ""),
            ("p99 latency", ms(direct.latencyMs(99)), ms(ballast.latencyMs(99)), ""),
            ("upstream attempts / request", "1.00", String(format: "%.2f", ballast.attemptsPerRequest), ""),
        ]
        let header = ("metric", "unprotected", "through Ballast", "change")
        let all = [header] + rows
        let widths = [all.map(\.0.count).max()!, all.map(\.1.count).max()!, all.map(\.2.count).max()!, all.map(\.3.count).max()!]
        func line(_ row: (String, String, String, String)) -> String {
            [row.0.padding(toLength: widths[0], withPad: " ", startingAt: 0),
             row.1.padding(toLength: widths[1], withPad: " ", startingAt: 0),
             row.2.padding(toLength: widths[2], withPad: " ", startingAt: 0),
             row.3].joined(separator: "  ")
        }
        let rule = String(repeating: "-", count: widths.reduce(0, +) + 6)
        return ([line(header), rule] + rows.map(line)).joined(separator: "\n")
            + "\n\nLatency counts successful requests, from each request's scheduled start (open-loop load)."
    }
}
