public import BallastConfig
import BallastCore
public import Rules
import Telemetry

/// Synthetic rules and telemetry for timing one evaluation step, shared by the unit test that
/// guards against regressions and `ballast-lab bench --scenario rule_eval`, which measures the
/// issue's figure (200 rules over an hour of telemetry) in a release build.
public enum RuleEvaluationBenchmark {
    public static let regions = ["primary", "secondary", "eu", "apac"]
    public static let models = ["claude-opus-4-1", "claude-sonnet-4-5", "claude-sonnet-4-6", "claude-haiku-4-5"]

    /// The regions as a config would give them: a weighted primary, the others at half weight.
    public static var context: RuleContext {
        RuleContext(regions: regions.enumerated().map { RuleRegion(name: $1, weight: $0 == 0 ? 100 : 50) })
    }

    /// `seconds` of per-second telemetry (samples 0 ..< seconds) for 4 regions x 4 models, 5 to
    /// 25 requests per series and second, with some upstream and local failures, 429s, and
    /// latencies of 1 to 21 s. Seeded, so every run reads the same numbers.
    public static func telemetry(seconds: Int = 3600, seed: UInt64 = 7) -> InMemoryWindowSource {
        var source = InMemoryWindowSource(regions: regions, models: models)
        var random = SeededRandom(seed: seed)
        for second in 0..<seconds {
            for region in regions {
                for model in models {
                    let requests = 5 + Int(random.unit() * 20)
                    let failures = Int(random.unit() * 3)
                    let status429 = random.unit() < 0.1 ? 1 : 0
                    let latency = 1 + random.unit() * 20
                    let ttfb = random.unit()
                    var result = WindowResult()
                    result.outcomes[OutcomeClass.success.countIndex] = requests - failures
                    result.outcomes[OutcomeClass.upstream.countIndex] += failures
                    result.status429 = status429
                    result.latency[LatencyBuckets.index(for: latency)] += requests
                    result.ttfb[LatencyBuckets.index(for: ttfb)] += requests
                    result.outcomes[OutcomeClass.local.countIndex] += random.unit() < 0.05 ? 1 : 0
                    source.add(result, second: second, labels: SeriesLabels(region: region, model: model))
                }
            }
        }
        return source
    }

    /// `count` rules of every kind, in groups of 20: windows from 10 s to 1 h, selectors,
    /// groupings, aggregations, arithmetic, attempt-level series, and every action.
    public static func rulesText(count: Int = 200) -> String {
        let windows = ["10s", "30s", "1m", "5m", "15m", "1h"]
        var text = "groups:\n"
        for group in 0..<((count + 19) / 20) {
            text += "  - name: g\(group)\n    interval: 1s\n    rules:\n"
            for index in 0..<min(20, count - group * 20) {
                let n = group * 20 + index
                let window = windows[n % windows.count]
                let region = regions[n % regions.count]
                let model = models[(n / 4) % models.count]
                let when: String
                var action = ""
                switch n % 10 {
                case 0:
                    when =
                        "error_ratio{region=\\\"\(region)\\\", class=\\\"upstream|local\\\"}[\(window)] > 0.\(n % 9 + 1) and request_rate{region=\\\"\(region)\\\"}[\(window)] > 1"
                    action = "action: { circuit: open, target: { region: \(region) } }"
                case 1: when = "latency_quantile(0.99, {region=\\\"\(region)\\\"}[\(window)]) > \(n % 30 + 1)s"
                case 2:
                    when = "ttfb_quantile(0.95, {model=~\\\"claude-(opus|sonnet).*\\\"}[\(window)]) by (model) > 0.\(n % 9 + 1)"
                    action = "action: { circuit: open, target: { model: \"$model\" }, mode: fail_fast }"
                case 3:
                    when = "rate_limit_ratio[\(window)] > 0.0\(n % 9 + 1) and request_count[\(window)] > 100"
                    action = "action: { degrade: \(n % 4 + 1) }"
                case 4:
                    when = "min by (region) (error_ratio[\(window)] by (region, model)) > 0.\(n % 9 + 1)"
                    action = "action: { route: drain, target: { region: \"$region\" }, step: 25% }"
                case 5: when = "consecutive_failures{region=\\\"\(region)\\\", class=\\\"local\\\"}[\(window)] >= \(n % 5 + 2)"
                case 6:
                    when =
                        "(error_count[\(window)] by (region, model) - rate_limit_count[\(window)] by (region, model)) / request_count[\(window)] by (region, model) > 0.\(n % 9 + 1)"
                    action = "action: { circuit: open, target: { region: \"$region\", model: \"$model\" } }"
                case 7: when = "error_rate{model=\\\"\(model)\\\", class!=\\\"success\\\"}[\(window)] > \(n % 7 + 1) or not request_rate[\(window)] > 0"
                case 8: when = "max(request_rate[\(window)] by (region)) > 2 * avg(request_rate[\(window)] by (region))"
                default:
                    // Attempt-level series are kept for 5 minutes; longer windows read requests.
                    let level = n % 20 == 9 && window != "15m" && window != "1h" ? ", level=\\\"attempt\\\"" : ""
                    when = "sum by (model) (request_rate{region!=\\\"\(region)\\\"\(level)}[\(window)] by (region, model)) > \(n % 50 + 10)"
                }
                text += "      - name: r\(n)\n        when: \"\(when)\"\n        for: \(n % 3)s\n"
                if !action.isEmpty { text += "        \(action)\n" }
            }
        }
        return text
    }

    /// The rules of `rulesText(count:)`, checked against `context`.
    public static func ruleSet(count: Int = 200) -> Result<RuleSet, ConfigError> {
        RuleSet.parse(rulesText(count: count), file: "rule-eval-\(count).yaml", context: context)
    }

    /// Times `steps` evaluation steps of `rules` over `source`, one second apart, the wall
    /// clock at the end of the telemetry (so the 1 h windows are full). The first step finds
    /// every rule new, like the gateway's first tick; later ones carry the state on.
    /// Returns each step's duration in milliseconds and the source queries of the first step.
    public static func measure(
        _ rules: RuleSet, source: some WindowSource, at wall: Double = 3599,
        steps: Int = 30
    ) -> (milliseconds: [Double], queries: Int) {
        var state = RuleEngineState()
        var durations: [Double] = []
        var queries = 0
        let clock = ContinuousClock()
        for step in 0..<steps {
            // A microsecond later each step: the same windows, but a source that caches per
            // evaluation step (the gateway's does) must not answer from an earlier step.
            let now = RuleTime(monotonic: MonotonicInstant(nanoseconds: 0) + .seconds(step), wall: wall + Double(step) * 1e-6)
            let start = clock.now
            let evaluation = RuleEngine.evaluate(rules, state: state, source: source, now: now)
            durations.append(milliseconds(clock.now - start))
            state = evaluation.state
            if step == 0 { queries = evaluation.queries }
        }
        return (durations, queries)
    }

    /// The baseline without the engine: the distinct window queries one step of `rules` makes,
    /// each answered by `source` once, timed `steps` times. What is left of an evaluation
    /// after this is the engine's own work (expressions, state machines, audit reasons).
    public static func measureQueries(
        _ rules: RuleSet, source: some WindowSource, at wall: Double = 3599,
        steps: Int = 30
    ) -> (milliseconds: [Double], queries: Int) {
        let context = EvaluationContext(source: source, wallTime: wall, regions: rules.regions.map(\.name))
        var queries: [WindowQuery] = []
        var seen: Set<WindowQuery> = []
        for rule in rules.rules {
            for call in rule.expression.calls {
                for instance in context.resolve(call).instances where seen.insert(instance.query).inserted {
                    queries.append(instance.query)
                }
            }
        }
        var durations: [Double] = []
        let clock = ContinuousClock()
        var sink = 0
        for step in 0..<steps {
            let start = clock.now
            let now = wall + Double(step) * 1e-6
            for query in queries { sink &+= source.window(query, wallTime: now).requests }
            durations.append(milliseconds(clock.now - start))
        }
        precondition(sink >= 0)
        return (durations, queries.count)
    }

    /// The median of `values` (the middle one of the sorted values).
    public static func median(_ values: [Double]) -> Double {
        let sorted = values.sorted()
        return sorted.isEmpty ? 0 : sorted[sorted.count / 2]
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1000 + Double(duration.components.attoseconds) / 1e15
    }
}
