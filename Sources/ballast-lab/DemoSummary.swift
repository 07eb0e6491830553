import Foundation
import CommandLineSupport

/// The demo's closing tables: the before/after table (docs/benchmarks.md, "The demo") (max QPS, P99, error
/// rate; before, after, change) plus upstream attempts per request, then each phase, then
/// the targets with what was measured.
///
/// Latency counts every request, failures included at the moment the client saw them fail:
/// leaving failures out would flatter whichever path fails more, and an unprotected client
/// that gets a fast 429 has not been served quickly.
struct DemoSummary {
    let script: DemoScript
    let direct: [DemoRecord]
    let ballast: [DemoRecord]
    /// Ballast's counters once per second, for what it did in each phase.
    let timeline: [(elapsed: Double, status: DemoStatus)]
    let actions: [DemoAction]

    /// Figures of one path over a set of requests.
    struct Figures {
        var requests: Int
        var failed: Int
        var p50: Double?
        var p99: Double?
        var p99Succeeded: Double?
        var peakGoodput: Double
        var goodput: Double
        var attemptsPerRequest: Double

        var errorShare: Double { requests == 0 ? 0 : Double(failed) / Double(requests) }
    }

    func figures(_ records: [DemoRecord]) -> Figures {
        let peak = records.filter { script.isPeak($0.scheduled) }
        let withAttempts = records.compactMap(\.attempts)
        return Figures(
            requests: records.count, failed: records.filter { !$0.succeeded }.count,
            p50: DemoTally.percentile(50, of: records.map(\.latency)),
            p99: DemoTally.percentile(99, of: records.map(\.latency)),
            p99Succeeded: DemoTally.percentile(99, of: records.filter(\.succeeded).map(\.latency)),
            peakGoodput: Double(peak.filter(\.succeeded).count) / max(script.peakSeconds, 1e-9),
            goodput: Double(records.filter(\.succeeded).count) / script.seconds,
            attemptsPerRequest: withAttempts.isEmpty ? 1 : Double(withAttempts.reduce(0, +)) / Double(withAttempts.count))
    }

    var text: String {
        let before = figures(direct)
        let after = figures(ballast)
        var out = "Summary: the same \(before.requests) requests, unprotected (straight to the primary) and through Ballast.\n\n"
        out += TextTable.render(
            header: ["metric", "unprotected", "through Ballast", "change"],
            rows: [
                [
                    "max QPS (goodput at the \(Self.factor(DemoScript.burstFactor)) peaks)", Self.qps(before.peakGoodput),
                    Self.qps(after.peakGoodput), Self.ratio(after.peakGoodput, before.peakGoodput),
                ],
                ["goodput (whole run)", Self.qps(before.goodput), Self.qps(after.goodput), Self.ratio(after.goodput, before.goodput)],
                ["P99 latency", Self.ms(before.p99), Self.ms(after.p99), Self.ratio(after.p99, before.p99)],
                [
                    "P99 latency, successes only", Self.ms(before.p99Succeeded), Self.ms(after.p99Succeeded),
                    Self.ratio(after.p99Succeeded, before.p99Succeeded),
                ],
                ["P50 latency", Self.ms(before.p50), Self.ms(after.p50), Self.ratio(after.p50, before.p50)],
                [
                    "error rate", Self.percent(before.errorShare), Self.percent(after.errorShare),
                    Self.errorChange(before: before, after: after),
                ],
                [
                    "upstream attempts / request", "1.00", String(format: "%.2f", after.attemptsPerRequest),
                    String(format: "%+.2f", after.attemptsPerRequest - 1),
                ],
            ])
        out +=
            "\nLatency runs from each request's scheduled arrival (open-loop load) to the end its client saw, "
            + "failures included at the moment they failed.\n\n"
        out += phaseTable
        out += "\n" + targetTable(before: before, after: after)
        return out
    }

    // MARK: Phases

    private var phaseTable: String {
        var rows: [[String]] = []
        for phase in DemoScript.phases {
            let from = phase.start * script.seconds
            let to = phase.end * script.seconds
            let inPhase = { (record: DemoRecord) in record.scheduled >= from && record.scheduled < to }
            let before = direct.filter(inPhase)
            let after = ballast.filter(inPhase)
            rows.append([
                "\(phase.title) " + String(format: "%.1f-%.1fs", from, to), "\(before.count)",
                Self.count(failed: before.filter { !$0.succeeded }.count, of: before.count),
                Self.count(failed: after.filter { !$0.succeeded }.count, of: after.count),
                Self.ms(DemoTally.percentile(99, of: before.map(\.latency))),
                Self.ms(DemoTally.percentile(99, of: after.map(\.latency))),
                didWhat(records: after, from: from, to: to),
            ])
        }
        return "Each phase (requests by their scheduled arrival):\n\n"
            + TextTable.render(
                header: [
                    "phase", "requests", "unprotected errors", "Ballast errors", "unprotected P99",
                    "Ballast P99", "what Ballast did",
                ], rows: rows)
    }

    /// What the Ballast path's answers and counters show for one phase, nonzero items only.
    private func didWhat(records: [DemoRecord], from: Double, to: Double) -> String {
        var items: [String] = []
        let standby = records.filter { $0.region == "secondary" }.count
        if standby > 0 { items.append("\(standby) answered by the standby") }
        let hedged = records.filter(\.hedged).count
        if hedged > 0 { items.append("\(hedged) won by a hedge") }
        let retried = records.filter { ($0.attempts ?? 1) > 1 }.count
        if retried > 0 { items.append("\(retried) took 2+ attempts") }
        let degraded = records.filter(\.degraded).count
        if degraded > 0 { items.append("\(degraded) degraded answers") }
        // What the phase set off may land a little after its end (the counters are read once
        // a second), though not in the next phase.
        let next = DemoScript.phases.map { $0.start * script.seconds }.filter { $0 > from }.min() ?? script.seconds + 5
        let until = min(to + 1, next)
        let refreshes = counter(\.tokenRefreshes, from: from, to: until)
        if refreshes > 0 { items.append("\(refreshes) token refresh\(refreshes == 1 ? "" : "es")") }
        let inPhase = actions.filter { $0.time >= from && $0.time < until }
        let opened = inPhase.filter { $0.kind == "circuit_changed" && $0.action == "open" }.map(\.target)
        if !opened.isEmpty { items.append("circuit \(Set(opened).sorted().joined(separator: ", ")) opened") }
        if let level = inPhase.last(where: { $0.kind == "degradation_changed" && $0.action != "level=0" }) {
            items.append("degradation \(level.action)")
        }
        return items.isEmpty ? "-" : items.joined(separator: ", ")
    }

    /// How much a counter of Ballast's status grew between two demo times.
    private func counter(_ value: KeyPath<DemoStatus, Int>, from: Double, to: Double) -> Int {
        let start = timeline.last { $0.elapsed <= from }?.status[keyPath: value] ?? 0
        let end = timeline.last { $0.elapsed <= to }?.status[keyPath: value] ?? start
        return max(0, end - start)
    }

    // MARK: Targets

    private func targetTable(before: Figures, after: Figures) -> String {
        let burst = script.phase(.rateLimitBurst)
        let inBurst = { (record: DemoRecord) in burst.contains(record.scheduled, seconds: script.seconds) }
        let burstRecords = ballast.filter(inBurst)
        let burstServed = burstRecords.isEmpty ? 1 : Double(burstRecords.filter(\.succeeded).count) / Double(burstRecords.count)
        let directBurst = direct.filter(inBurst)
        let directServed = directBurst.isEmpty ? 1 : Double(directBurst.filter(\.succeeded).count) / Double(directBurst.count)
        // Outside the 429 burst: inside it, requests wait their turn for the organisation's
        // limit by design (the standby shares it), judged against what waiting must cost.
        let outsideBefore = figures(direct.filter { !inBurst($0) }), outsideAfter = figures(ballast.filter { !inBurst($0) })
        let p99Ratio = outsideBefore.p99.flatMap { b in outsideAfter.p99.map { $0 / b } }
        let burstP99 = DemoTally.percentile(99, of: burstRecords.map(\.latency))
        let bound = burstBound(directBurst)
        let rows: [[String]] = [
            [
                "error rate through Ballast <= 0.2%, unprotected several percent",
                "\(Self.percent(after.errorShare)) vs \(Self.percent(before.errorShare))",
                Self.verdict(after.errorShare <= 0.002 && before.errorShare >= 0.02),
            ],
            [
                "P99 through Ballast <= 0.5x unprotected (outside the 429 burst)",
                "\(Self.ms(outsideAfter.p99)) vs \(Self.ms(outsideBefore.p99))" + (p99Ratio.map { String(format: " = %.2fx", $0) } ?? ""),
                Self.verdict((p99Ratio ?? 1) <= 0.5),
            ],
            [
                "429 burst (average under the limit): Ballast serves >= 99.9%",
                "\(Self.percent(burstServed)) (unprotected \(Self.percent(directServed)))", Self.verdict(burstServed >= 0.999),
            ],
            [
                "429 burst: P99 through Ballast <= 1.2x the FIFO bound of the shared limit",
                "\(Self.ms(burstP99)) vs \(Self.ms(bound))" + (burstP99.flatMap { p in bound.map { String(format: " = %.2fx", p / $0) } } ?? ""),
                Self.verdict((burstP99 ?? .infinity) <= 1.2 * (bound ?? 0)),
            ],
        ]
        return "Targets:\n\n" + TextTable.render(header: ["target", "measured", "verdict"], rows: rows)
    }

    /// The least P99 any gateway could give the 429 burst's requests: each sent, in arrival
    /// order, as soon as the organisation's bucket (the demo's limit and burst, full at the
    /// start of the phase) has a token, plus the unprotected path's median answer time in the
    /// phase (what an answer takes once sent).
    private func burstBound(_ directBurst: [DemoRecord]) -> Double? {
        let arrivals = ballast.map(\.scheduled).filter { script.phase(.rateLimitBurst).contains($0, seconds: script.seconds) }.sorted()
        guard let first = arrivals.first,
            let service = DemoTally.percentile(50, of: directBurst.filter(\.succeeded).map(\.latency))
        else { return nil }
        var level = script.burst, clock = first, waits: [Double] = []
        for arrival in arrivals {
            let start = max(clock, arrival)
            level = min(script.burst, level + (start - clock) * script.limit)
            clock = start
            if level < 1 {
                clock += (1 - level) / script.limit
                level = 1
            }
            level -= 1
            waits.append(clock - arrival + service)
        }
        return DemoTally.percentile(99, of: waits)
    }

    // MARK: Formatting

    static func verdict(_ met: Bool) -> String { met ? "met" : "MISSED" }
    static func factor(_ value: Double) -> String { String(format: "%gx", value) }
    static func qps(_ value: Double) -> String { String(format: "%.1f/s", value) }
    static func ms(_ seconds: Double?) -> String { seconds.map { String(format: "%.0f ms", $0 * 1000) } ?? "-" }
    static func percent(_ share: Double) -> String { String(format: "%.2f%%", share * 100) }

    static func count(failed: Int, of total: Int) -> String {
        "\(failed) (" + String(format: "%.1f%%", total == 0 ? 0 : Double(failed) / Double(total) * 100) + ")"
    }

    static func ratio(_ after: Double?, _ before: Double?) -> String {
        guard let after, let before, before > 0 else { return "" }
        return String(format: "%.2fx", after / before)
    }

    static func errorChange(before: Figures, after: Figures) -> String {
        guard before.failed > 0 else { return "" }
        guard after.failed > 0 else { return "none through Ballast" }
        return String(format: "%.0fx fewer", before.errorShare / after.errorShare)
    }
}
