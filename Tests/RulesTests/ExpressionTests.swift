import BallastCore
import Rules
import Testing

/// The expression language: parsing, values of every function, grouping, aggregation, logic
/// with missing data, and one query per distinct input per step.
@Suite struct ExpressionTests {
    /// primary: 100 requests/s over 10 s, 20% upstream errors of which half are 429s, latency
    /// 2 s, TTFB 0.5 s; secondary: 10/s, all fine, latency 0.2 s.
    static let source: InMemoryWindowSource = {
        var source = InMemoryWindowSource(regions: ["primary", "secondary"])
        for second in 1...10 {
            var primary = sample(requests: 100, failures: 20, outcome: .upstream, status429: 10, latency: 2, ttfb: 0.5)
            primary.outcomes[OutcomeClass.local.countIndexForTests] += 5
            source.add(primary, second: second, labels: SeriesLabels(region: "primary", model: "claude-opus-4-1"))
            source.add(sample(requests: 10, latency: 0.2), second: second, labels: SeriesLabels(region: "secondary", model: "claude-sonnet-4-5"))
        }
        return source
    }()

    func value(_ text: String, at now: Double = 10) -> String {
        switch Probe.evaluate(text, source: Self.source, now: now) {
        case .success(let explanation): return explanation
        case .failure(let error): return "error: \(error)"
        }
    }

    @Test func functionsReadTheirWindow() {
        #expect(value(#"request_rate{region="primary"}[10s] > 0"#) == #"true [request_rate{region="primary"}[10s]=105]"#)
        #expect(value(#"request_count{region="primary"}[5s] > 0"#) == #"true [request_count{region="primary"}[5s]=525]"#)
        #expect(value(#"error_ratio{region="primary"}[10s] > 0"#) == #"true [error_ratio{region="primary"}[10s]=0.2381]"#)
        #expect(value(#"error_ratio{region="primary", class="upstream"}[10s] > 0"#) == #"true [error_ratio{region="primary", class="upstream"}[10s]=0.1905]"#)
        #expect(value(#"error_count{class!="success"}[10s] > 0"#) == #"true [error_count{class!="success"}[10s]=250]"#)
        #expect(value(#"error_rate{class=~"up.*"}[10s] > 0"#) == #"true [error_rate{class=~"up.*"}[10s]=20]"#)
        #expect(value(#"rate_limit_ratio{region="primary"}[10s] > 0"#) == #"true [rate_limit_ratio{region="primary"}[10s]=0.0952]"#)
        #expect(value(#"rate_limit_count[10s] > 0"#) == #"true [rate_limit_count[10s]=100]"#)
        #expect(value(#"latency_quantile(0.5, {region="secondary"}[10s]) < 1"#) == #"true [latency_quantile(0.5, {region="secondary"}[10s])=0.175]"#)
        #expect(value(#"ttfb_quantile(0.99, {region="primary"}[10s]) < 1"#) == #"true [ttfb_quantile(0.99, {region="primary"}[10s])=0.4975]"#)
        #expect(value(#"consecutive_failures{region="primary"}[10s] == 0"#) == #"true [consecutive_failures{region="primary"}[10s]=0]"#)
    }

    @Test func arithmeticComparisonAndUnits() {
        #expect(value("request_rate[10s] / 2 + 1 >= 58.5") == "true [request_rate[10s]=115]")
        #expect(value("-request_rate[10s] < -100") == "true [request_rate[10s]=115]")
        #expect(value(#"latency_quantile(0.9, {region="primary"}[10s]) > 1500ms"#).hasPrefix("true"))
        #expect(value(#"error_ratio{region="primary"}[10s] > 20%"#).hasPrefix("true"))
        #expect(value(#"error_ratio{region="primary"}[10s] > 25%"#).hasPrefix("false"))
        #expect(value("1 + 2 * 3 == 7 and (1 + 2) * 3 == 9").hasPrefix("true"))
        #expect(value("1 < 2 or 1 / 0 > 0 and not 2 > 1").hasPrefix("true"))
    }

    @Test func noDataIsUnknownNotFalse() {
        // No requests at all in the window: ratios have no value, and a condition on them is
        // neither true nor false, so `not` does not make it fire.
        #expect(value("error_ratio[5s] > 0.5", at: 100).hasPrefix("unknown"))
        #expect(value("not error_ratio[5s] > 0.5", at: 100).hasPrefix("unknown"))
        #expect(value("error_ratio[5s] > 0.5 and 1 < 0", at: 100).hasPrefix("false"))
        #expect(value("error_ratio[5s] > 0.5 or 1 > 0", at: 100).hasPrefix("true"))
        #expect(value("request_count[5s] == 0", at: 100) == "true [request_count[5s]=0]")
        #expect(value("error_ratio[5s] > 0.5", at: 100) == "unknown [error_ratio[5s]=no data]")
    }

    @Test func groupingGivesOneValuePerLabelSet() {
        #expect(value("error_ratio[10s] by (region) > 0.1") == #"{region="primary"}: true, {region="secondary"}: false"#)
        #expect(value("request_rate[10s] by (model) > 50") == #"{model="claude-opus-4-1"}: true, {model="claude-sonnet-4-5"}: false"#)
        #expect(value(#"request_rate{region=~"prim.*"}[10s] by (region) > 50"#) == #"{region="primary"}: true"#)
        // Different groupings combine where their labels agree.
        #expect(
            value("error_ratio[10s] by (region) > 0.1 and request_rate[10s] by (model) > 50")
                == #"{region="primary", model="claude-opus-4-1"}: true, {region="primary", model="claude-sonnet-4-5"}: false, {region="secondary", model="claude-opus-4-1"}: false, {region="secondary", model="claude-sonnet-4-5"}: false"#
        )
    }

    @Test func aggregationReducesGroups() {
        #expect(value("max(error_ratio[10s] by (region)) > 0.2").hasPrefix("true"))
        #expect(value("min(error_ratio[10s] by (region)) > 0.2").hasPrefix("false"))
        #expect(value("sum(request_rate[10s] by (region)) == 115").hasPrefix("true"))
        #expect(value("avg(request_rate[10s] by (region)) == 57.5").hasPrefix("true"))
        #expect(
            value("min by (model) (error_ratio[10s] by (region, model)) > 0.2")
                == #"{model="claude-opus-4-1"}: true, {model="claude-sonnet-4-5"}: false"#)
    }

    @Test func syntaxErrorsNameWhatIsWrongAndWhere() {
        func issue(_ text: String) -> String {
            switch CompiledExpression.compile(text) {
            case .success: return "compiled"
            case .failure(let error): return error.issues.map { "\($0.offset): \($0.message)" }.joined(separator: " | ")
            }
        }
        #expect(issue("") == "0: the expression is empty")
        #expect(issue("error_ratio[1m] >") == "17: the expression ends too early: a value or function is missing")
        #expect(issue("error_ratio[1m] > 0.5 && x") == "22: unexpected '&': write 'and'")
        #expect(issue("error_ratio{region=\"a\"[1m] > 0.5") == "22: expected ',' or '}' in the selector, found '[1m]'")
        #expect(issue("error_ratio{region==\"a\"}[1m] > 1") == "18: label matchers use '=', not '=='")
        #expect(issue("error_ratio[1m > 1") == "11: window is not closed: add the ending ]")
        #expect(issue("error_ratio{region=\"a}[1m] > 1") == "19: string is not closed: add the ending \"")
        #expect(issue("(error_ratio[1m] > 1") == "20: expected ')' to close its '(', found the end of the expression")
        #expect(
            issue("error_ratio[1m] > 1 error_ratio[1m] > 2") == "20: unexpected 'error_ratio' after a complete expression; join conditions with 'and' or 'or'")
        #expect(issue("error_ratio[1m] = 1") == "16: unexpected '=': compare with '=='")
        #expect(issue("error_ratio[1m] > 1x") == "18: '1x' is neither a number nor a duration such as 500ms, 30s or 5m")
        #expect(issue("error_ratio[1m] > 0.5 and error_ratio") == "37: error_ratio needs a window, such as error_ratio[30s]")
        #expect(issue("request_rate{}[1m] > 1") == "compiled")
    }

    @Test func eachDistinctQueryReachesTheSourceOncePerStep() throws {
        let rules = ruleSet(
            """
            groups:
              - name: g
                rules:
                  - { name: a, when: 'error_ratio{region="primary"}[10s] > 0.5 and request_rate{region="primary"}[10s] > 1' }
                  - { name: b, when: 'error_ratio{region="primary", class="local"}[10s] > 0.01' }
                  - { name: c, when: 'rate_limit_ratio{region="primary"}[10s] > 0.5 or request_count{region=~"primary"}[10s] > 1' }
                  - { name: d, when: 'error_ratio{region="primary"}[5s] > 0.5' }
                  - { name: e, when: 'error_ratio[10s] by (region) > 0.5' }
            """)
        let counting = CountingSource(Self.source)
        let evaluation = RuleEngine.evaluate(rules, state: RuleEngineState(), source: counting, now: RuleTime(seconds: 10))
        // primary/10s (a, b, c), primary/5s (d), then e's primary/10s is shared and only
        // secondary/10s is new.
        #expect(counting.calls == 3)
        #expect(evaluation.queries == 3)
    }
}

extension OutcomeClass {
    /// The counter index of the class in a `WindowResult` (tests build samples by hand).
    var countIndexForTests: Int { OutcomeClass.allCases.firstIndex(of: self) ?? 0 }
}
