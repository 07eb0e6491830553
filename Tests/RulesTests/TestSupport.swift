import BallastConfig
import BallastCore
import BallastTesting
import Rules
import Synchronization
import Testing

/// The repository's root, found from this file's path (Tests/RulesTests/TestSupport.swift).
let repositoryRoot: String = {
    var path = #filePath
    for _ in 0..<3 {
        guard let slash = path.lastIndex(of: "/") else { break }
        path = String(path[..<slash])
    }
    return path
}()

/// Two regions as most tests configure them: a weighted primary and a standby secondary.
let twoRegions = RuleContext(regions: [RuleRegion(name: "primary", weight: 100), RuleRegion(name: "secondary", weight: 0)])

/// Parses one rule file's text; records a failure and returns an empty set when it has errors.
func ruleSet(_ text: String, context: RuleContext = twoRegions, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> RuleSet {
    switch RuleSet.parse(text, file: "test.yaml", context: context) {
    case .success(let set):
        return set
    case .failure(let error):
        Issue.record("unexpected errors:\n\(error)", sourceLocation: sourceLocation)
        return RuleSet.empty(context: context)
    }
}

/// The issues of a rule file that must not load.
func ruleIssues(_ text: String, context: RuleContext = twoRegions, sourceLocation: Testing.SourceLocation = #_sourceLocation) -> [ConfigIssue] {
    switch RuleSet.parse(text, file: "test.yaml", context: context) {
    case .success:
        Issue.record("expected errors, but the rules loaded", sourceLocation: sourceLocation)
        return []
    case .failure(let error):
        return error.issues
    }
}

/// `line:column` of each issue.
func positions(_ issues: [ConfigIssue]) -> [String] {
    issues.map { "\($0.location.line):\($0.location.column)" }
}

/// A sample of `requests` requests of which `failures` failed with `outcome`.
func sample(
    requests: Int, failures: Int = 0, outcome: OutcomeClass = .upstream, status429: Int = 0,
    latency: Double? = nil, ttfb: Double? = nil
) -> WindowResult {
    var result = WindowResult()
    result.outcomes[0] = requests - failures
    result.outcomes[OutcomeClass.allCases.firstIndex(of: outcome) ?? 2] += failures
    result.status429 = status429
    if let latency { result.latency[LatencyBuckets.index(for: latency)] += requests }
    if let ttfb { result.ttfb[LatencyBuckets.index(for: ttfb)] += requests }
    return result
}

/// Steps the engine from `from` to `to` (inclusive) every `interval` seconds, collecting changes.
func run(
    _ rules: RuleSet, source: some WindowSource, state: inout RuleEngineState, from: Double, to: Double,
    interval: Double = 1
) -> [(time: Double, change: StateChange)] {
    var changes: [(time: Double, change: StateChange)] = []
    var time = from
    while time <= to + 1e-9 {
        let evaluation = RuleEngine.evaluate(rules, state: state, source: source, now: RuleTime(seconds: time))
        state = evaluation.state
        changes.append(contentsOf: evaluation.changes.map { (time, $0) })
        time += interval
    }
    return changes
}

/// A window source that counts how often it is asked.
final class CountingSource: WindowSource {
    let inner: InMemoryWindowSource
    private let count = Mutex(0)

    init(_ inner: InMemoryWindowSource) { self.inner = inner }

    var calls: Int { count.withLock { $0 } }

    func window(_ query: WindowQuery, wallTime: Double) -> WindowResult {
        count.withLock { $0 += 1 }
        return inner.window(query, wallTime: wallTime)
    }

    func labelValues(_ label: SeriesLabel) -> [String] { inner.labelValues(label) }
}

/// In the rule tests a number where an instant is expected is seconds after the monotonic
/// timeline's origin (`breaker.advance(at: 10)`), as the rule test files write their times.
extension MonotonicInstant: ExpressibleByIntegerLiteral, ExpressibleByFloatLiteral {
    init(integerLiteral value: Int) { self.init(seconds: Double(value)) }
    init(floatLiteral value: Double) { self.init(seconds: value) }
}
