import BallastCore
import Rules
import Testing
import BallastConfig

/// `canary="new"` and `migration="..."` read one canary side's attempts; `canary:` actions
/// parse; every mistake with them is reported at its place.
@Suite struct CanarySeriesTests {
    /// Two canaries over 10 s: `a`'s new side fails 2 of 10 attempts a second, its old side
    /// none of 10; `b`'s new side fails 1 of 5.
    static let source: InMemoryWindowSource = {
        var source = InMemoryWindowSource(regions: ["primary"])
        let labels = SeriesLabels(region: "primary", model: "m")
        for second in 1...10 {
            source.add(sample(requests: 10), second: second, labels: labels)
            source.add(sample(requests: 10, failures: 2), second: second, labels: labels, canary: CanarySelector(side: .new, migration: "a"))
            source.add(sample(requests: 10), second: second, labels: labels, canary: CanarySelector(side: .old, migration: "a"))
            source.add(sample(requests: 5, failures: 1), second: second, labels: labels, canary: CanarySelector(side: .new, migration: "b"))
        }
        return source
    }()

    func value(_ text: String) -> String {
        switch Probe.evaluate(text, source: Self.source, now: 10) {
        case .success(let explanation): return explanation
        case .failure(let error): return "error: \(error)"
        }
    }

    @Test func canarySeriesReadOneSideAndOnlyIt() {
        #expect(value(#"error_ratio{canary="new", migration="a"}[10s] == 0.2"#).hasPrefix("true"))
        #expect(value(#"error_ratio{canary="old", migration="a"}[10s] == 0"#).hasPrefix("true"))
        #expect(value(#"request_count{canary="new"}[10s] == 150"#).hasPrefix("true"), "every canary's new side together")
        #expect(value(#"request_count{canary="new", migration="b"}[10s] == 50"#).hasPrefix("true"))
        #expect(value(#"request_count[10s] == 100"#).hasPrefix("true"), "canary series stay out of the other series")
        #expect(value(#"request_count{canary="new", migration="nobody"}[10s] == 0"#).hasPrefix("true"))
    }

    @Test func mistakesWithCanaryLabelsAreReported() {
        func issue(_ text: String) -> String {
            switch CompiledExpression.compile(text) {
            case .success: return "compiled"
            case .failure(let error): return error.issues.map { "\($0.offset): \($0.message)" }.joined(separator: " | ")
            }
        }
        #expect(issue(#"error_ratio{canary="newer"}[1m] > 0.2"#) == "19: unknown canary side 'newer' (known: old, new)")
        #expect(issue(#"error_ratio{canary=~"n.*"}[1m] > 0.2"#) == #"12: canary takes = with "old" or "new""#)
        #expect(
            issue(#"error_ratio{migration="a"}[1m] > 0.2"#)
                == #"12: migration needs a side as well: {canary="new", migration="a"}"#)
        #expect(
            issue(#"error_ratio{canary="new"}[10m] > 0.2"#)
                == "26: canary attempts are kept for 5m; the window must not be longer, not 10m")
        #expect(
            issue(#"error_ratio{canary="new", level="request"}[1m] > 0.2"#)
                == #"0: canary series count upstream attempts; drop level="request""#)
        #expect(issue("error_ratio[1m] by (canary) > 0.2").hasPrefix("20: cannot group by 'canary'"))
        #expect(issue(#"error_ratio{canary="new", migration="a"}[1m] > 2 * error_ratio{canary="old", migration="a"}[1m]"#) == "compiled")
    }

    @Test func canaryActionsParseAndTheirMistakesAreNamed() {
        let good = ruleSet(
            """
            groups:
              - name: c
                rules:
                  - name: roll
                    when: error_ratio{canary="new"}[1m] > 0.1
                    action: { canary: rollback, target: { migration: sonnet-next } }
                  - name: wait
                    when: error_ratio{canary="new"}[1m] > 0.05
                    action: { canary: hold }
            """)
        #expect(
            good.rules.map(\.action) == [
                .canary(CanaryAction(command: .rollback, migration: "sonnet-next")),
                .canary(CanaryAction(command: .hold)),
            ])
        let issues = ruleIssues(
            """
            groups:
              - name: c
                rules:
                  - name: a
                    when: request_rate[1m] > 1
                    action: { canary: explode }
                  - name: b
                    when: request_rate[1m] > 1
                    action: { canary: rollback, step: 10% }
                    recover: { after: 1m }
                  - name: c
                    when: request_rate[1m] > 1
                    action: { canary: hold, target: { region: primary } }
            """)
        let messages = issues.map { "\($0.location.line):\($0.location.column) \($0.message)" }
        #expect(messages.contains { $0.hasPrefix("6:27") && $0.contains("rollback, hold or advance") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("9:37") && $0.contains("'step' does not apply to a canary action") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("10:18") && $0.contains("no 'recover'") }, "\(messages)")
        #expect(messages.contains { $0.hasPrefix("13:43") && $0.contains("unknown key 'region'") }, "\(messages)")
    }
}
