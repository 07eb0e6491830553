public import BallastConfig
import BallastCore
import Yams

/// A rule test file, in the spirit of `promtool test rules`:
///
/// ```yaml
/// rule_files: [../failover.yaml]        # relative to this file; globs allowed
/// regions:                              # the config's regions (default: those of the series, weight 100)
///   - { name: primary, weight: 100 }
///   - { name: secondary, weight: 0, capacity: 50 }
/// evaluation_interval: 1s
/// tests:
///   - name: primary outage fails over
///     input_series:
///       - labels: { region: primary, model: claude-sonnet-4-5 }
///         requests: "10x60"
///         errors_local: "0x10 10x50"
///     expect:
///       - at: 12s
///         firing: [region-down{region="primary"}]
///         state:
///           circuit: { region=primary: open }
///           weights: { primary: 0, secondary: 100 }
///         events: ["circuit_changed region=primary open"]
/// ```
public struct RuleTestFile: Sendable {
    public var path: String
    /// Rule files, resolved against the test file's directory.
    public var ruleFiles: [String]
    /// Nil: derived from the series.
    public var regions: [RuleRegion]?
    /// `evaluation_interval`: the time between the engine's evaluations.
    public var interval: Duration
    public var tests: [RuleTestCase]

    static let seriesFields: [String: OutcomeClass?] = [
        "errors_upstream": .upstream, "errors_local": .local, "errors_client": .client, "errors_ballast": .ballast,
    ]

    public static func load(path: String) -> Result<RuleTestFile, ConfigError> {
        do {
            return parse(try ConfigFile.read(path: path), path: path)
        } catch {
            return .failure(error)
        }
    }

    public static func parse(_ text: String, path: String) -> Result<RuleTestFile, ConfigError> {
        let issues = ConfigIssues()
        guard let root = ConfigNode.parse(text, file: path, issues: issues) else { return .failure(issues.error) }
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { line in
            var scalars = Array(line.unicodeScalars)
            if scalars.last == "\r" { scalars.removeLast() }
            return scalars
        }
        var file = RuleTestFile(path: path, ruleFiles: [], regions: nil, interval: .seconds(1), tests: [])
        guard let map = root.mapping(what: "the test file", keys: ["rule_files", "regions", "evaluation_interval", "tests"]) else {
            return .failure(issues.error)
        }
        let directory = ConfigPath.directory(of: path)
        if let list = map.require("rule_files")?.strings(what: "'rule_files'") {
            file.ruleFiles = list.map { ConfigPath.resolve($0, against: directory) }
        }
        if let node = map.present("regions"), let items = node.sequence(what: "'regions'") {
            var regions: [RuleRegion] = []
            for item in items {
                guard let region = item.mapping(what: "region", keys: ["name", "weight", "capacity"]) else { continue }
                guard let name = region.require("name")?.string(what: "region name") else { continue }
                var weight = 100
                if let value = region.int("weight") {
                    if value >= 0 { weight = value } else { region["weight"]?.error("'weight' must be 0 or more") }
                }
                var capacity: Double?
                if let value = region.double("capacity") {
                    if value > 0 { capacity = value } else { region["capacity"]?.error("'capacity' must be above 0") }
                }
                regions.append(RuleRegion(name: name, weight: weight, capacity: capacity))
            }
            file.regions = regions
        }
        if let node = map["evaluation_interval"], let value = node.duration(what: "'evaluation_interval'") {
            if value >= 0.01 { file.interval = .seconds(value) } else { node.error("'evaluation_interval' must be at least 10ms") }
        }
        if let items = map.require("tests")?.sequence(what: "'tests'") {
            for (index, item) in items.enumerated() {
                if let test = readTest(item, index: index, lines: lines, interval: file.interval.seconds) { file.tests.append(test) }
            }
        }
        guard issues.isEmpty else { return .failure(RuleSet.sorted(issues.all, files: [path])) }
        return .success(file)
    }

    private static func readTest(_ node: ConfigNode, index: Int, lines: [[Unicode.Scalar]], interval: Double) -> RuleTestCase? {
        guard let map = node.mapping(what: "tests[\(index)]", keys: ["name", "input_series", "capacity_short", "expect"]) else { return nil }
        let name = map["name"]?.string(what: "'name'") ?? "test \(index + 1)"
        var series: [RuleTestSeries] = []
        if let items = map.require("input_series")?.sequence(what: "'input_series'") {
            for item in items {
                if let one = readSeries(item, lines: lines) { series.append(one) }
            }
        }
        var expectations: [RuleTestExpectation] = []
        if let items = map.require("expect")?.sequence(what: "'expect'") {
            for item in items {
                if let one = readExpectation(item, interval: interval) { expectations.append(one) }
            }
            if items.isEmpty { map["expect"]?.error("a test needs at least one expectation") }
        }
        var test = RuleTestCase(
            name: name, series: series, expectations: expectations.sorted { $0.at < $1.at },
            location: node.location)
        if let capacityNode = map.present("capacity_short") { test.capacity = readCapacity(capacityNode, lines: lines) }
        return test
    }

    /// `capacity_short: "0x30 1x20"` (every region) or `{ secondary: "0x30 1x20" }` (per region).
    private static func readCapacity(_ node: ConfigNode, lines: [[Unicode.Scalar]]) -> RuleTestCapacity {
        func values(_ valueNode: ConfigNode) -> [Double?]? {
            guard let text = valueNode.scalarText(what: "'capacity_short'") else { return nil }
            switch SeriesNotation.expand(text) {
            case .success(let values): return values
            case .failure(let issue):
                valueNode.issues.add(ScalarPositions(valueNode, lines: lines).location(at: issue.offset), issue.message)
                return nil
            }
        }
        var capacity = RuleTestCapacity()
        if case .mapping(let raw) = node.node {
            for (key, value) in raw {
                let keyNode = ConfigNode(node: key, file: node.file, issues: node.issues)
                guard let region = keyNode.string(what: "a region") else { continue }
                if let list = values(ConfigNode(node: value, file: node.file, issues: node.issues)) { capacity.regions[region] = list }
            }
        } else {
            capacity.everywhere = values(node)
        }
        return capacity
    }

    private static func readSeries(_ node: ConfigNode, lines: [[Unicode.Scalar]]) -> RuleTestSeries? {
        var keys: Set<String> = ["labels", "requests", "rate_limited", "latency", "ttfb"]
        keys.formUnion(seriesFields.keys)
        guard let map = node.mapping(what: "input series", keys: keys) else { return nil }
        var labels = SeriesLabels()
        var level: SeriesLevel?
        var canary: CanarySelector?
        if let labelsNode = map.require("labels"),
            let labelMap = labelsNode.mapping(what: "labels", keys: ["region", "model", "level", "canary", "migration"])
        {
            labels.region = labelMap.string("region")
            labels.model = labelMap.string("model")
            if let sideNode = labelMap["canary"], let text = sideNode.string(what: "'canary'") {
                if let side = CanarySelector.Side(rawValue: text) {
                    guard let migration = labelMap.require("migration")?.string(what: "'migration'") else { return nil }
                    canary = CanarySelector(side: side, migration: migration)
                } else {
                    sideNode.error("'canary' is old or new, not '\(text)'")
                }
            } else if let migrationNode = labelMap["migration"] {
                migrationNode.error("'migration' needs 'canary: old' or 'canary: new' beside it")
            }
            if labels.isEmpty, canary == nil { labelsNode.error("'labels' needs a region, a model, or both") }
            if let levelNode = labelMap["level"], let text = levelNode.string(what: "'level'") {
                level = SeriesLevel(rawValue: text)
                if level == nil { levelNode.error("'level' is attempt or request (leave it out for both), not '\(text)'") }
            }
        }
        func values(_ key: String) -> [Double?]? {
            guard let valueNode = map[key], let text = valueNode.scalarText(what: "'\(key)'") else { return nil }
            switch SeriesNotation.expand(text) {
            case .success(let values):
                if let negative = values.firstIndex(where: { ($0 ?? 0) < 0 }) {
                    valueNode.error("'\(key)' must not be negative (value \(negative + 1))")
                    return nil
                }
                return values
            case .failure(let issue):
                valueNode.issues.add(ScalarPositions(valueNode, lines: lines).location(at: issue.offset), issue.message)
                return nil
            }
        }
        var errors: [OutcomeClass: [Double?]] = [:]
        for (key, outcome) in seriesFields {
            if let outcome, let list = values(key) { errors[outcome] = list }
        }
        return RuleTestSeries(
            labels: labels, level: level, canary: canary, requests: values("requests"), errors: errors, rateLimited: values("rate_limited") ?? [],
            latency: values("latency") ?? [], ttfb: values("ttfb") ?? [], location: node.location)
    }

    private static func readExpectation(_ node: ConfigNode, interval: Double) -> RuleTestExpectation? {
        guard let map = node.mapping(what: "expectation", keys: ["at", "firing", "pending", "state", "events"]) else { return nil }
        guard let atNode = map.require("at"), let at = atNode.duration(what: "'at'") else { return nil }
        let ticks = (at / interval).rounded()
        if abs(ticks * interval - at) > 1e-6 {
            atNode.error("'at' (\(DurationText.format(at))) must be a multiple of evaluation_interval (\(DurationText.format(interval)))")
        }
        var expectation = RuleTestExpectation(
            at: at, firing: map["firing"].flatMap { list($0, "firing") },
            pending: map["pending"].flatMap { list($0, "pending") }, circuits: [],
            degradation: nil, weights: nil, routes: [:],
            events: map["events"].flatMap { list($0, "events") }, location: node.location)
        if let stateNode = map.present("state"),
            let state = stateNode.mapping(what: "state", keys: ["circuit", "degradation", "weights", "route"])
        {
            if let circuitNode = state.present("circuit"), case .mapping(let raw) = circuitNode.node {
                for (key, value) in raw {
                    let keyNode = ConfigNode(node: key, file: node.file, issues: node.issues)
                    let valueNode = ConfigNode(node: value, file: node.file, issues: node.issues)
                    guard let targetText = keyNode.string(what: "a circuit target"), let stateText = valueNode.string(what: "a circuit state") else { continue }
                    guard let target = CircuitTarget(parsing: targetText) else {
                        keyNode.error("a circuit target is region=NAME, model=NAME or both joined by ',', not '\(targetText)'")
                        continue
                    }
                    guard let circuitState = CircuitState(rawValue: stateText) else {
                        valueNode.error("a circuit state is closed, open or half_open, not '\(stateText)'")
                        continue
                    }
                    expectation.circuits.append((target, circuitState))
                }
            } else if let circuitNode = state.present("circuit") {
                circuitNode.error("'circuit' maps targets to states, such as { region=primary: open }")
            }
            if let value = state.int("degradation") { expectation.degradation = value }
            if let weightsNode = state.present("weights"), case .mapping(let raw) = weightsNode.node {
                var weights: [String: Int] = [:]
                for (key, value) in raw {
                    let valueNode = ConfigNode(node: value, file: node.file, issues: node.issues)
                    if let region = key.string, let weight = valueNode.int(what: "a weight") { weights[region] = weight }
                }
                expectation.weights = weights
            }
            if let routeNode = state.present("route"), case .mapping(let raw) = routeNode.node {
                let phases = ["shifted", "holding_down", "failing_back", "restored", "normal"]
                for (key, value) in raw {
                    let valueNode = ConfigNode(node: value, file: node.file, issues: node.issues)
                    guard let region = key.string, let phase = valueNode.string(what: "a route phase") else { continue }
                    if phases.contains(phase) {
                        expectation.routes[region] = phase
                    } else {
                        valueNode.error("a route phase is one of \(phases.joined(separator: ", ")), not '\(phase)'")
                    }
                }
            }
        }
        return expectation
    }

    private static func list(_ node: ConfigNode, _ what: String) -> [String]? {
        if node.isNull { return [] }
        return node.strings(what: "'\(what)'")
    }
}
