import BallastCore
import BallastSimulator
import Rules
import Testing

/// The work of one evaluation of 200 rules over an hour of telemetry, counted (not timed: the
/// time is `ballast-lab bench --scenario rule_eval`'s, in a release build). The rules and the
/// telemetry come from `RuleEvaluationBenchmark`.
@Suite struct PerformanceTests {
    @Test func twoHundredRulesOverAnHourOfTelemetry() throws {
        let rules = try RuleEvaluationBenchmark.ruleSet(count: 200).get()
        #expect(rules.rules.count == 200)
        let counting = CountingSource(RuleEvaluationBenchmark.telemetry())
        let (durations, queries) = RuleEvaluationBenchmark.measure(rules, source: counting)
        // Memoized: far fewer source queries than calls in the expressions.
        let calls = rules.rules.reduce(0) { $0 + $1.expression.calls.count }
        #expect(queries < calls)
        #expect(!durations.isEmpty)
    }

    @Test func theBuildersMakeWhatTheyPromise() throws {
        #expect(try RuleEvaluationBenchmark.ruleSet(count: 1).get().rules.count == 1)
        #expect(try RuleEvaluationBenchmark.ruleSet(count: 45).get().rules.count == 45)
        let source = RuleEvaluationBenchmark.telemetry(seconds: 10)
        let hour = source.window(WindowQuery(window: 3600), wallTime: 9)
        #expect(hour.requests > 16 * 10 * 5)
        let rules = try RuleEvaluationBenchmark.ruleSet(count: 20).get()
        let raw = RuleEvaluationBenchmark.measureQueries(rules, source: source, at: 9, steps: 2)
        #expect(raw.milliseconds.count == 2)
        // Every distinct query of the rules; a step may skip some (`false and ...`).
        #expect(raw.queries >= RuleEvaluationBenchmark.measure(rules, source: source, at: 9, steps: 1).queries)
        #expect(raw.queries > 0)
    }
}
