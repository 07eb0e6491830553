import Foundation

/// The demo's running display: on a terminal one block redrawn in place each second; when
/// output is not a terminal (logs, CI, pipes) plain lines, two per second plus each new
/// action once.
final class DemoView: @unchecked Sendable {
    /// One path's client-side figures over the recent window.
    struct Path {
        var rate: Double
        var errorShare: Double
        var p99: Double?
        var succeeded: Int
        var failed: Int
    }

    private let live: Bool
    private let seconds: Double
    private var drawnLines = 0
    private var actionsShown: Set<String> = []

    init(live: Bool, seconds: Double) {
        self.live = live
        self.seconds = seconds
    }

    func update(elapsed: Double, phase: String, direct: Path, ballast: Path, status: DemoStatus) {
        if live {
            draw(block(elapsed: elapsed, phase: phase, direct: direct, ballast: ballast, status: status))
        } else {
            plain(elapsed: elapsed, phase: phase, direct: direct, ballast: ballast, status: status)
        }
        fflush(nil)  // all output streams; `stdout` itself is not concurrency-safe to name
    }

    func finish() {
        print("")
    }

    // MARK: Terminal

    private func block(elapsed: Double, phase: String, direct: Path, ballast: Path, status: DemoStatus) -> [String] {
        func path(_ name: String, _ p: Path) -> String {
            let total = p.succeeded + p.failed
            return name.padding(toLength: 25, withPad: " ", startingAt: 0)
                + Self.column(Self.rate(p.rate), 7) + Self.column(Self.percent(p.errorShare), 9)
                + Self.column(Self.ms(p.p99), 10)
                + "   \(p.succeeded) ok, \(p.failed) failed (\(Self.percent(total == 0 ? 0 : Double(p.failed) / Double(total))))"
        }
        var lines = [
            String(format: "t=%5.1fs of %.0fs  ", elapsed, seconds) + phase,
            "  clients (last 5 s)          rate   errors       p99   whole run so far",
            path("  unprotected -> primary", direct),
            path("  through Ballast", ballast),
            "  Ballast's regions         state      weight  attempts  errors/s       p99",
        ]
        for region in status.regions {
            lines.append(
                "  " + region.name.padding(toLength: 24, withPad: " ", startingAt: 0)
                    + region.state.padding(toLength: 10, withPad: " ", startingAt: 0)
                    + Self.column("\(region.weight)", 7) + Self.column(Self.rate(region.attemptsPerSecond), 10)
                    + Self.column(String(format: "%.1f", region.errorsPerSecond), 10) + Self.column(Self.ms(region.p99), 10))
        }
        lines.append("  " + Self.counters(status))
        lines.append("  latest actions (and why):")
        let shown = Array(status.actions.suffix(4))
        lines += shown.map { "    " + $0 }
        lines += Array(repeating: "    -", count: max(0, 4 - shown.count))
        return lines
    }

    private func draw(_ lines: [String]) {
        let width = Self.terminalWidth
        if drawnLines > 0 { print("\u{1B}[\(drawnLines)A", terminator: "") }
        for line in lines { print("\u{1B}[2K" + String(line.prefix(width))) }
        drawnLines = lines.count
    }

    private static var terminalWidth: Int {
        var size = winsize()
        return ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0 && size.ws_col > 20 ? Int(size.ws_col) - 1 : 160
    }

    // MARK: Plain lines

    private func plain(elapsed: Double, phase: String, direct: Path, ballast: Path, status: DemoStatus) {
        func path(_ p: Path) -> String {
            "\(Self.rate(p.rate)), \(Self.percent(p.errorShare)) errors, p99 \(Self.ms(p.p99))"
        }
        print(String(format: "t=%5.1fs  ", elapsed) + "\(phase) | unprotected \(path(direct)) | Ballast \(path(ballast))")
        let regions = status.regions.map {
            "\($0.name) \($0.state) weight=\($0.weight) \(Self.rate($0.attemptsPerSecond)) "
                + String(format: "%.1f err/s", $0.errorsPerSecond) + " p99 \(Self.ms($0.p99))"
        }
        print("          regions: " + regions.joined(separator: "; ") + " | " + Self.counters(status))
        for action in status.actions where !actionsShown.contains(action) {
            actionsShown.insert(action)
            print("  action " + action)
        }
    }

    // MARK: Formatting

    private static func counters(_ status: DemoStatus) -> String {
        "degradation level \(status.degradationLevel), hedges \(status.hedgesSent) sent / \(status.hedgesWon) won, "
            + "retries \(status.retries), token refreshes \(status.tokenRefreshes)"
    }

    private static func column(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    static func rate(_ value: Double) -> String { String(format: "%.0f/s", value) }
    static func percent(_ value: Double) -> String { String(format: "%.1f%%", value * 100) }
    static func ms(_ seconds: Double?) -> String { seconds.map { String(format: "%.0f ms", $0 * 1000) } ?? "-" }
}
