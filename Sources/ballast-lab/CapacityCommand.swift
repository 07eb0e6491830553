import ArgumentParser
import BallastConfig
import BallastSimulator
import CommandLineSupport
import Foundation
import Rules

/// Replays capacity scenarios in virtual time: the bench's random sweep prints the seeds where
/// Ballast served less than no gateway, and this is how one of them is looked at.
struct CapacityCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "capacity",
        abstract: "Replay capacity scenarios in virtual time: Ballast, no gateway and the oracle side by side.",
        discussion: """
            With --seed: one random scenario (CapacityScenario.random), its outcome per way, what the \
            rules changed and (with --timeline) goodput per slice of the scenario. With --seeds A-B: the \
            sweep the bench runs, listing the seeds where Ballast served less than no gateway. \
            --scenario shared_limit or region_down replays the bench's two fixed scenarios.
            """)

    @Option(name: .long, help: "One random scenario's seed.")
    var seed: UInt64?

    @Option(name: .long, help: "A range of seeds to sweep, as A-B (the bench runs 1-400).")
    var seeds: String?

    @Option(name: .long, help: "A fixed scenario instead: shared_limit or region_down.")
    var scenario: String?

    @Option(name: .long, help: "Rule files (globs allowed); default: the gateway's default rule paths.")
    var rules: [String] = []

    @Option(name: .long, help: "Seconds per timeline row (with --timeline).")
    var slice: Double = 2

    @Flag(name: .long, help: "Print served requests per slice of the scenario, by arrival time.")
    var timeline = false

    func validate() throws {
        guard [seed != nil, seeds != nil, scenario != nil].filter({ $0 }).count == 1 else {
            throw ValidationError("give exactly one of --seed, --seeds or --scenario")
        }
        if let seeds, Self.range(seeds) == nil { throw ValidationError("--seeds wants A-B with A <= B, e.g. 1-400") }
        if let scenario, Self.fixed(scenario) == nil {
            throw ValidationError("unknown --scenario '\(scenario)': shared_limit or region_down")
        }
        guard slice > 0 else { throw ValidationError("--slice must be positive") }
    }

    func run() throws {
        let ruleSet: RuleSet
        do {
            ruleSet = try CapacitySimulation.loadRules(paths: rules.isEmpty ? RulesConfig().paths : rules)
        } catch {
            FileHandle.standardError.write(Data("ballast-lab capacity: \(error)\n".utf8))
            throw ExitCode(2)
        }
        if let seeds, let range = Self.range(seeds) {
            print(Self.sweepReport(CapacitySweep.run(seeds: range, duration: 60, rules: ruleSet), seeds: range))
        } else if let chosen = seed.map({ CapacityScenario.random(seed: $0) }) ?? scenario.flatMap(Self.fixed) {
            print(Self.replayReport(chosen, rules: ruleSet, slice: timeline ? slice : nil))
        }
    }

    static func range(_ text: String) -> ClosedRange<UInt64>? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
        guard parts.count == 2, let low = UInt64(parts[0]), let high = UInt64(parts[1]), low <= high else { return nil }
        return low...high
    }

    static func fixed(_ name: String) -> CapacityScenario? {
        switch name {
        case "shared_limit": .sharedLimit
        case "region_down": .regionDown
        default: nil
        }
    }

    static func sweepReport(_ sweep: CapacitySweep, seeds: ClosedRange<UInt64>) -> String {
        var text = String(
            format: "%d seeds: ratio to the oracle median %.3f, 10th percentile %.3f, worst %.3f\n",
            seeds.count, sweep.median, sweep.tenthPercentile, sweep.worst)
        guard !sweep.below.isEmpty else { return text + "no seed below no gateway (0.5% slack)\n" }
        text += "\(sweep.below.count) seeds below no gateway (0.5% slack):\n"
        let rows = sweep.below.map { entry in
            [
                String(entry.scenario.seed), String(entry.ballast), String(entry.direct), String(entry.oracle),
                String(format: "%+.1f%%", 100 * Double(entry.ballast - entry.direct) / Double(max(1, entry.direct))),
                entry.scenario.description.split(separator: ":", maxSplits: 1).last.map(String.init) ?? "",
            ]
        }
        return text + TextTable.render(header: ["seed", "ballast", "direct", "oracle", "vs direct", "scenario"], rows: rows)
    }

    static func replayReport(_ scenario: CapacityScenario, rules: RuleSet, slice: Double?) -> String {
        let ways: [(String, CapacityOutcome)] = [
            ("ballast", CapacitySimulation.run(scenario, gateway: .ballast, rules: rules)),
            ("no gateway", CapacitySimulation.run(scenario, gateway: .unprotected, rules: rules)),
            ("oracle", CapacityOracle.run(scenario)),
        ]
        func ms(_ seconds: Double?) -> String { seconds.map { String(format: "%.0f", $0 * 1000) } ?? "-" }
        var text = scenario.description + "\n\n"
        text += TextTable.render(
            header: ["way", "offered", "served", "refused (own 429)", "attempts", "upstream 429", "p50 ms", "p99 ms"],
            rows: ways.map { name, outcome in
                [
                    name, String(outcome.offered), String(outcome.served), String(outcome.refusedByGateway),
                    String(outcome.attempts), String(outcome.upstream429), ms(outcome.latency(quantile: 0.5)),
                    ms(outcome.latency(quantile: 0.99)),
                ]
            })
        let changes = ways[0].1.ruleChanges
        if !changes.isEmpty {
            text += "\nrule changes (Ballast):\n"
            text += changes.map { String(format: "  %7.2f s  %@ %@", $0.time, $0.target, $0.action) }.joined(separator: "\n") + "\n"
        }
        guard let slice else { return text }
        let arrivals = CapacitySimulation.arrivals(scenario)
        let count = Int((scenario.duration / slice).rounded(.up))
        func perSlice(_ times: [Double]) -> [Int] {
            var counts = Array(repeating: 0, count: count)
            for time in times { counts[min(count - 1, Int(time / slice))] += 1 }
            return counts
        }
        let offered = perSlice(arrivals)
        let served = ways.map { perSlice($0.1.servedArrivals) }
        let ballast = ways[0].1
        // Per region, joined as "a/b" when there are several.
        func perRegion(_ entries: [(time: Double, region: Int)]) -> [String] {
            let counts = scenario.regions.indices.map { region in perSlice(entries.filter { $0.region == region }.map(\.time)) }
            return (0..<count).map { index in counts.map { String($0[index]) }.joined(separator: "/") }
        }
        let sent = perRegion(ballast.attemptTimes), refused = perRegion(ballast.upstream429Times)
        let waiting = (0..<count).map { index in
            ballast.waiting.last { $0.time <= Double(index) * slice }.map { String($0.count) } ?? "-"
        }
        var unused = Array(repeating: 0.0, count: count)
        for entry in ballast.unusedAllowance { unused[min(count - 1, Int(entry.time / slice))] += entry.requests }
        let outages = scenario.regions.map { region in
            (0..<count).map { index in region.outage(at: (Double(index) + 0.5) * slice)?.kind.rawValue ?? "" }
        }
        text += "\nserved by arrival time (requests arriving in each slice); Ballast's attempts sent and those refused 429 by"
        text += " the upstream, per region, its requests waiting for their paced slot when the slice began, and the upstream"
        text += " allowance it left unused (requests the full buckets could not store; found at the next send):\n"
        text += TextTable.render(
            header: ["from s", "offered"] + ways.map(\.0) + ["attempts", "429", "waiting", "unused"]
                + scenario.regions.map { "\($0.name) outage" },
            rows: (0..<count).map { index in
                [String(format: "%.0f", Double(index) * slice), String(offered[index])] + served.map { String($0[index]) }
                    + [sent[index], refused[index], waiting[index], String(format: "%.0f", unused[index])] + outages.map { $0[index] }
            })
        return text
    }
}
