import BallastConfig
import Rules
import Testing

/// Every error of a rule file is reported at once, each at its file:line:column; expression
/// errors point inside the `when:` text whatever the YAML scalar style.
@Suite struct RuleFileErrorTests {
    @Test func errorsInsideAPlainWhenPointAtTheToken() {
        let issues = ruleIssues(
            """
            groups:
              - name: g
                rules:
                  - name: r
                    when: error_ratio{regoin="primary"}[30s] > 0.5 and foo[1m] > 1
            """)
        #expect(positions(issues) == ["5:27", "5:60"])
        #expect(issues[0].message == "unknown label 'regoin' (known: region, model, class, level, canary, migration)")
        #expect(issues[1].message.hasPrefix("unknown function 'foo' (known: request_rate, "))
        #expect(issues[0].description.hasPrefix("test.yaml:5:27: unknown label"))
    }

    @Test func doubleQuotedWhenSkipsTheQuoteAndEscapes() {
        let issues = ruleIssues(
            #"""
            groups:
              - name: g
                rules:
                  - name: r
                    when: "error_ratio{region=\"primary\"}[30s] > 0.5 and foo[1m] > 1"
            """#)
        #expect(positions(issues) == ["5:63"])
    }

    @Test func singleQuotedWhenSkipsDoubledQuotes() {
        let issues = ruleIssues(
            """
            groups:
              - name: g
                rules:
                  - name: r
                    when: 'error_ratio{region=''primary''}[30s] > 0.5 and foo[1m] > 1'
            """)
        #expect(positions(issues) == ["5:63"])
    }

    @Test func foldedMultiLineWhenPointsAtTheRightLine() {
        let issues = ruleIssues(
            """
            groups:
              - name: g
                rules:
                  - name: r
                    when: >
                      error_ratio[1m] > 0.5
                      and foo[1m] > 1
                      and request_rate[2x] > 1
            """)
        #expect(positions(issues) == ["7:15", "8:28"])
        #expect(issues[1].message == "bad window '2x': write a duration such as 30s, 5m or 1h")
    }

    @Test func literalBlockWhenPointsAtTheRightLine() {
        let issues = ruleIssues(
            """
            groups:
              - name: g
                rules:
                  - name: r
                    when: |
                      error_ratio[1m] > 0.5 and
                        request_rate{class="upsteam"}[1m] > 1
            """)
        #expect(positions(issues) == ["7:32"])
        #expect(issues.first?.message.hasPrefix("unknown outcome class 'upsteam'") == true)
    }

    @Test func everyKindOfMistakeIsReportedTogetherInFileOrder() {
        let issues = ruleIssues(
            """
            groups:
              - name: g
                interval: soon
                rules:
                  - name: a
                    when: error_ratio{region="tertiary"}[30s] > 0.5
                    for: forever
                    action: { circuit: open, target: { region: nowhere } }
                  - name: b
                    when: request_rate[2h] > 1 and latency_quantile([1m]) > 2
                    action: { throttle: 5 }
                  - name: c
                    when: error_ratio[1m]
                    action: { degrade: 9 }
                  - name: d
                    when: error_ratio[1m] by (region) > 0.5 >
                    action: { circuit: open, target: { model: "$model" } }
            """)
        let found = issues.map { "\($0.location.line):\($0.location.column) \($0.message)" }
        // The broken expression of rule d is reported once; its `$model` target is not judged
        // against an expression that did not compile.
        #expect(positions(issues) == ["3:15", "6:34", "7:14", "8:52", "10:28", "10:40", "11:19", "13:15", "14:28", "16:49"], "\(found)")
        #expect(issues[0].message.contains("'interval' must be a duration"))
        #expect(issues[1].message == "unknown region 'tertiary' (known: primary, secondary)")
        #expect(issues[2].message.contains("'for' must be a duration"))
        #expect(issues[3].message == "unknown region 'nowhere' (known: primary, secondary)")
        #expect(issues[4].message.contains("the window must be between 1s and 1h"))
        #expect(issues[5].message.contains("latency_quantile needs a quantile"))
        #expect(issues[6].message.hasPrefix("unknown action 'throttle'"))
        #expect(issues[7].message.contains("must be a condition"))
        #expect(issues[8].message == "'degrade: 9' is beyond the degradation ladder, which has 4 levels")
        #expect(issues[9].message == "comparisons do not chain: write 'a < b and b < c'")
    }

    @Test func typeErrorsAreExplained() {
        let issues = ruleIssues(
            """
            groups:
              - name: g
                rules:
                  - { name: a, when: "error_ratio[1m] and request_rate[1m] > 1" }
                  - { name: b, when: "(error_ratio[1m] > 0.5) + 1 > 2" }
                  - { name: c, when: "not request_rate[1m]" }
                  - { name: d, when: "rate_limit_ratio{class=\\"upstream\\"}[1m] > 0.1" }
                  - { name: e, when: "error_ratio{canary=\\"true\\"}[1m] > 0.1" }
                  - { name: f, when: "error_ratio[1m] by (class) > 0.1" }
                  - { name: g, when: "min by (region) (error_ratio[1m] by (model)) > 0.1" }
                  - { name: h, when: "latency_quantile(1.5, [1m]) > 1" }
                  - { name: i, when: "error_ratio{region=~\\"(\\"}[1m] > 0.1" }
            """)
        let messages = issues.map(\.message)
        #expect(messages.count == 9, "\(messages)")
        #expect(messages[0].contains("'and' joins conditions, but its left side is a number"))
        #expect(messages[1].contains("'+' works on numbers, but one side is a condition"))
        #expect(messages[2].contains("'not' needs a condition"))
        #expect(messages[3] == "rate_limit_ratio does not take a 'class' matcher")
        #expect(messages[4].contains("unknown canary side"))
        #expect(messages[5].contains("cannot group by 'class'"))
        #expect(messages[6].contains("min by (region) needs the expression inside grouped by at least (region)"))
        #expect(messages[7].contains("the quantile must be between 0 and 1"))
        #expect(messages[8].hasPrefix("invalid regular expression"))
    }

    @Test func actionMistakes() {
        let issues = ruleIssues(
            """
            groups:
              - name: g
                rules:
                  - name: a
                    when: error_ratio[1m] > 0.5
                    action: { circuit: close, target: { region: primary } }
                  - name: b
                    when: error_ratio[1m] > 0.5
                    action: { circuit: open, degrade: 2, target: { region: primary } }
                  - name: c
                    when: error_ratio[1m] > 0.5
                    action: { route: drain, target: { model: x } }
                  - name: d
                    when: error_ratio[1m] > 0.5
                    recover: { after: 10s }
                  - name: e
                    when: error_ratio[1m] > 0.5
                    action: { circuit: open, target: { region: primary }, mode: fallback }
                    recover: { after: 0s, probe: { requests: 0, max_error_ratio: 2 } }
            """)
        let messages = issues.map(\.message)
        #expect(messages.contains { $0.contains("'circuit' can only be 'open'") })
        #expect(messages.contains { $0.contains("an action does one thing") })
        #expect(messages.contains { $0.contains("unknown key 'model' in target") })
        #expect(messages.contains { $0.contains("'recover' belongs to an action") })
        #expect(messages.contains { $0.contains("'mode: fallback' applies to model-only circuits") })
        #expect(messages.contains { $0.contains("'after' must be greater than 0") })
        #expect(messages.contains { $0.contains("'probe.requests' must be between 1 and 1000") })
        #expect(messages.contains { $0.contains("'max_error_ratio' must be between 0 and 1") })
    }

    @Test func namesAreUniqueAcrossFilesAndSectionsAreDefinedOnce() {
        let file = """
            routing: { hold_down: 10s }
            degradation: { levels: [ { max_tokens: 100 } ] }
            groups:
              - name: g
                rules:
                  - { name: r, when: "error_ratio[1m] > 0.5" }
            """
        let result = RuleSet.parse([RuleSource(path: "a.yaml", text: file), RuleSource(path: "b.yaml", text: file)], context: twoRegions)
        guard case .failure(let error) = result else {
            Issue.record("expected errors")
            return
        }
        let lines = error.issues.map(\.description)
        #expect(
            lines == [
                "b.yaml:1:10: 'routing' is already defined at a.yaml:1:10; define it in one file",
                "b.yaml:2:14: 'degradation' is already defined at a.yaml:2:14; define it in one file",
                "b.yaml:4:11: duplicate group name 'g' (first defined at a.yaml:4:11)",
                "b.yaml:6:17: duplicate rule name 'r' (first defined at a.yaml:6:17); rule names are unique across all rule files",
            ])
    }

    @Test func yamlSyntaxAndMissingFilesAreReportedLikeTheRest() {
        let issues = ruleIssues("groups:\n  - name: g\n    rules: [\n")
        #expect(issues.count == 1)
        #expect(issues.first?.message.hasPrefix("YAML syntax error") == true)

        let missing = RuleSet.load(paths: ["/nonexistent/rules.yaml"])
        guard case .failure(let error) = missing else {
            Issue.record("a missing file must fail")
            return
        }
        #expect(error.issues.map(\.description) == ["/nonexistent/rules.yaml:1:1: cannot open file: No such file or directory"])
    }

    @Test func aGlobMatchingNothingIsAnEmptyRuleSet() throws {
        let loaded = try RuleSet.load(paths: ["/nonexistent-dir/*.yaml"]).get()
        #expect(loaded.rules.isEmpty)
    }

    @Test func regionNamesAreNotCheckedWithoutRegions() {
        let set = ruleSet(
            """
            groups:
              - name: g
                rules:
                  - { name: r, when: 'error_ratio{region="anywhere"}[1m] > 0.5' }
            """, context: RuleContext())
        #expect(set.rules.count == 1)
    }

    @Test func fallbackLoopsAndEmptyLevelsAreErrors() {
        let issues = ruleIssues(
            """
            degradation:
              levels:
                - { max_tokens: 100 }
                - { description: nothing }
              fallback:
                "claude-a-*": claude-b-1
                "claude-b-*": claude-a-1
            """)
        let messages = issues.map(\.message)
        #expect(messages.contains("degradation level 2 does nothing: give it max_tokens, fallback, shed or answer"))
        #expect(messages.contains { $0.contains("the fallback map loops") })
    }
}

/// Placeholders need the grouping they name.
@Suite struct TargetPlaceholderTests {
    @Test func modelPlaceholderNeedsGroupingByModel() {
        let issues = ruleIssues(
            """
            groups:
              - name: g
                rules:
                  - name: d
                    when: error_ratio[1m] by (region) > 0.5
                    action: { circuit: open, target: { model: "$model" } }
            """)
        #expect(positions(issues) == ["6:51"])
        #expect(issues.first?.message.contains("'$model' needs the rule's expression grouped by model") == true)
    }
}
