import BallastTesting
import Foundation

/// The demo's running display: one block redrawn in place on a terminal, plain lines
/// otherwise (logs, CI, pipes).
final class DemoView: @unchecked Sendable {
    private let live: Bool
    private var drawnLines = 0

    init(live: Bool) { self.live = live }

    /// - Parameters:
    ///   - weights: the route weights Ballast has in force, by region.
    ///   - actions: the latest actions from the audit table, newest last, already formatted.
    func update(elapsed: Double, phase: String, direct: LoadReport, ballast: LoadReport, weights: [String: Int],
                actions: [String]) {
        let regions = ballast.regions.sorted { $0.key < $1.key }.map { "\($0.key) \($0.value)" }.joined(separator: ", ")
        let weightText = weights.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: " ")
        var lines = [
            String(format: "t=%5.1fs  %@", elapsed, phase),
            "  unprotected  ok \(pad(direct.succeeded)) errors \(pad(direct.failed))",
            "  Ballast      ok \(pad(ballast.succeeded)) errors \(pad(ballast.failed))   served by: \(regions.isEmpty ? "-" : regions)   weights: \(weightText.isEmpty ? "-" : weightText)",
            "  latest actions:",
        ]
        let shown = Array(actions.suffix(3))
        lines += shown.map { "    " + $0 }
        lines += Array(repeating: "    -", count: 3 - shown.count)
        if live {
            if drawnLines > 0 { print("\u{1B}[\(drawnLines)A", terminator: "") }
            for line in lines { print("\u{1B}[2K" + line) }
            drawnLines = lines.count
        } else {
            print(lines.joined(separator: "\n"))
        }
        fflush(nil)  // all output streams; `stdout` itself is not concurrency-safe to name
    }

    func finish() {
        print("")
    }

    private func pad(_ value: Int) -> String {
        let text = String(value)
        return String(repeating: " ", count: max(0, 6 - text.count)) + text
    }
}
