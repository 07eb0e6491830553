import BallastCore
import Rules
import Testing

/// One evaluation of 200 rules over an hour of telemetry must stay far below a tick.
@Suite struct PerformanceTests {
    static let regions = ["primary", "secondary", "eu", "apac"]
    static let models = ["claude-opus-4-1", "claude-sonnet-4-5", "claude-sonnet-4-6", "claude-haiku-4-5"]

    /// An hour of per-second telemetry for 4 regions x 4 models, with some failures and 429s.
    static func hourOfTelemetry() -> InMemoryWindowSource {
        var source = InMemoryWindowSource(regions: regions, models: models)
        var random = SeededRandom(seed: 7)
        for second in 0..<3600 {
            for region in regions {
                for model in models {
                    let requests = 5 + Int(random.unit() * 20)
                    var result = sample(requests: requests, failures: Int(random.unit() * 3), outcome: .upstream,
                                        status429: random.unit() < 0.1 ? 1 : 0, latency: 1 + random.unit() * 20, ttfb: random.unit())
                    result.outcomes[OutcomeClass.local.countIndexForTests] += random.unit() < 0.05 ? 1 : 0
                    source.add(result, second: second, labels: SeriesLabels(region: region, model: model))
                }
            }
        }
        return source
    }

    /// 200 rules of every kind: windows from 10s to 1h, selectors, groupings, aggregations,
    /// arithmetic, and every action.
    static func twoHundredRules() -> String {
        let windows = ["10s", "30s", "1m", "5m", "15m", "1h"]
        var text = "groups:\n"
        for group in 0..<10 {
            text += "  - name: g\(group)\n    interval: 1s\n    rules:\n"
            for index in 0..<20 {
                let n = group * 20 + index
                let window = windows[n % windows.count]
                let region = regions[n % regions.count]
                let model = models[(n / 4) % models.count]
                let when: String
                var action = ""
                switch n % 10 {
                case 0: when = "error_ratio{region=\\\"\(region)\\\", class=\\\"upstream|local\\\"}[\(window)] > 0.\(n % 9 + 1) and request_rate{region=\\\"\(region)\\\"}[\(window)] > 1"
                    action = "action: { circuit: open, target: { region: \(region) } }"
                case 1: when = "latency_quantile(0.99, {region=\\\"\(region)\\\"}[\(window)]) > \(n % 30 + 1)s"
                case 2: when = "ttfb_quantile(0.95, {model=~\\\"claude-(opus|sonnet).*\\\"}[\(window)]) by (model) > 0.\(n % 9 + 1)"
                    action = "action: { circuit: open, target: { model: \"$model\" }, mode: fail_fast }"
                case 3: when = "rate_limit_ratio[\(window)] > 0.0\(n % 9 + 1) and request_count[\(window)] > 100"
                    action = "action: { degrade: \(n % 4 + 1) }"
                case 4: when = "min by (region) (error_ratio[\(window)] by (region, model)) > 0.\(n % 9 + 1)"
                    action = "action: { route: drain, target: { region: \"$region\" }, step: 25% }"
                case 5: when = "consecutive_failures{region=\\\"\(region)\\\", class=\\\"local\\\"}[\(window)] >= \(n % 5 + 2)"
                case 6: when = "(error_count[\(window)] by (region, model) - rate_limit_count[\(window)] by (region, model)) / request_count[\(window)] by (region, model) > 0.\(n % 9 + 1)"
                    action = "action: { circuit: open, target: { region: \"$region\", model: \"$model\" } }"
                case 7: when = "error_rate{model=\\\"\(model)\\\", class!=\\\"success\\\"}[\(window)] > \(n % 7 + 1) or not request_rate[\(window)] > 0"
                case 8: when = "max(request_rate[\(window)] by (region)) > 2 * avg(request_rate[\(window)] by (region))"
                default: when = "sum by (model) (request_rate{region!=\\\"\(region)\\\"}[\(window)] by (region, model)) > \(n % 50 + 10)"
                }
                text += "      - name: r\(n)\n        when: \"\(when)\"\n        for: \(n % 3)s\n"
                if !action.isEmpty { text += "        \(action)\n" }
            }
        }
        return text
    }

    @Test func twoHundredRulesOverAnHourOfTelemetry() throws {
        let context = RuleContext(regions: Self.regions.enumerated().map { RuleRegion(name: $1, weight: $0 == 0 ? 100 : 50) })
        let rules = try RuleSet.parse(Self.twoHundredRules(), file: "perf.yaml", context: context).get()
        #expect(rules.rules.count == 200)
        let source = Self.hourOfTelemetry()
        let counting = CountingSource(source)
        var state = RuleEngineState()
        var durations: [Duration] = []
        let clock = ContinuousClock()
        for step in 0..<30 {
            let now = RuleTime(monotonic: Double(step), wall: 3599)
            let start = clock.now
            let evaluation = RuleEngine.evaluate(rules, state: state, source: counting, now: now)
            durations.append(clock.now - start)
            state = evaluation.state
            if step == 0 {
                // Memoized: far fewer source queries than calls in the expressions.
                let calls = rules.rules.reduce(0) { $0 + $1.expression.calls.count }
                #expect(evaluation.queries < calls)
            }
        }
        let sorted = durations.sorted()
        let median = sorted[sorted.count / 2]
        let milliseconds = Double(median.components.attoseconds) / 1e15 + Double(median.components.seconds) * 1000
        print("200 rules over 1h of telemetry: median \(milliseconds) ms per evaluation (\(sorted.first ?? .zero) .. \(sorted.last ?? .zero))")
        // The target is 10 ms in a release build (about 2.3 ms measured). A debug build is
        // several times slower and shares the machine with parallel tests, so its guard only
        // catches algorithmic regressions (scanning an hour per query would take seconds).
        #expect(milliseconds <= Self.budget)
    }

    #if DEBUG
    static let budget = 150.0
    #else
    static let budget = 10.0
    #endif
}
