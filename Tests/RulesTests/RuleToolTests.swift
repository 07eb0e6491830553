import Rules
import Testing

/// `ballast rules check` and `ballast rules test` as library functions: what they print and
/// their exit status.
@Suite struct RuleToolTests {
    /// A fresh directory per test (Swift Testing makes a suite instance per test).
    let directory = "/tmp/ballast-rule-tool-tests-\(UInt64.random(in: 0...UInt64.max))"

    static let rules = """
        groups:
          - name: g
            rules:
              - name: busy
                when: request_rate{region="primary"}[10s] > 5
                for: 2s
                action: { circuit: open, target: { region: primary } }
                recover: { after: 10s }
        """

    @Test func seriesNotation() {
        func values(_ text: String) -> String {
            switch SeriesNotation.expand(text) {
            case .success(let values): return values.map { $0.map { String(Int($0)) } ?? "_" }.joined(separator: " ")
            case .failure(let issue): return "\(issue.offset): \(issue.message)"
            }
        }
        #expect(values("1 2x3 0+5x3 10-2x2 _ _x2") == "1 2 2 2 0 5 10 10 8 _ _ _")
        #expect(values("  3  ") == "3")
        #expect(values("1 2xq") == "2: '2xq': the repeat count after 'x' must be a whole number of 1 or more")
        #expect(values("1 abc") == "2: 'abc' is not a number")
        #expect(values("1+x2") == "0: '1+x2' is not a value: write V, VxN, A+BxN or _")
    }

    @Test func checkPrintsASummaryOrEveryError() throws {
        try FileHelper.write(directory + "/check/good.yaml", Self.rules)
        try FileHelper.write(
            directory + "/check/bad.yaml",
            """
            groups:
              - name: h
                rules:
                  - { name: x, when: "error_ratio{region=\\"nowhere\\"}[10s] > 0.5" }
                  - { name: busy, when: "request_rate[10s] > 1" }
            """)
        defer { FileHelper.remove(directory) }
        let context = RuleContext(regions: [RuleRegion(name: "primary", weight: 100)])
        let good = RuleCheck.run(paths: [directory + "/check/good.yaml"], context: context)
        #expect(good.exitStatus == 0)
        #expect(good.text == "\(directory)/check/good.yaml: 1 group, 1 rule\nSUCCESS: 1 files, 1 groups, 1 rules\n")
        let both = RuleCheck.run(paths: [directory + "/check/good.yaml", directory + "/check/bad.yaml"], context: context)
        #expect(both.exitStatus == 1)
        #expect(
            both.text == """
                \(directory)/check/bad.yaml:4:46: unknown region 'nowhere' (known: primary)
                \(directory)/check/bad.yaml:5:17: duplicate rule name 'busy' (first defined at \(directory)/check/good.yaml:4:15); rule names are unique across all rule files
                FAILED: 2 errors

                """)
        let unchecked = RuleCheck.run(paths: [directory + "/check/good.yaml"])
        #expect(unchecked.text.contains("note: region names were not checked"))
        #expect(RuleCheck.run(paths: [directory + "/none/*.yaml"]).exitStatus == 1)
    }

    @Test func testReportsPassesAndFailuresWithTheirPlace() throws {
        try FileHelper.write(directory + "/run/rules.yaml", Self.rules)
        try FileHelper.write(
            directory + "/run/tests/busy.test.yaml",
            """
            rule_files: [../rules.yaml]
            regions: [ { name: primary, weight: 100 }, { name: secondary, weight: 0 } ]
            tests:
              - name: opens when busy
                input_series:
                  - labels: { region: primary }
                    requests: "0x5 10x20"
                expect:
                  # 10 requests/s from 5s: above 5/s over 10s at 10s, for 2s.
                  - at: 9s
                    pending: []
                  - at: 10s
                    pending: [busy]
                  - at: 12s
                    firing: [busy]
                    state: { circuit: { region=primary: open }, weights: { primary: 0, secondary: 100 } }
                    events: [rule_fired region=primary firing, circuit_changed region=primary open, route_shifted region=primary weight=0, route_shifted region=secondary weight=100]
              - name: a wrong expectation
                input_series:
                  - labels: { region: primary }
                    requests: "10x20"
                expect:
                  - at: 8s
                    firing: []
                    state: { circuit: { region=primary: closed }, degradation: 1 }
            """)
        defer { FileHelper.remove(directory) }
        let report = RuleTestRunner.run(paths: [directory + "/run/tests/*.yaml"])
        #expect(report.exitStatus == 1)
        #expect(
            report.text == """
                \(directory)/run/tests/busy.test.yaml
                  ok    opens when busy
                  FAIL  a wrong expectation (\(directory)/run/tests/busy.test.yaml:18:5)
                        at 8s: firing: expected [], got [busy]
                        at 8s: circuit region=primary: expected closed, got open
                        at 8s: degradation: expected level 1, got 0
                        at 8s: (events since the previous check: [rule_fired region=primary firing, circuit_changed region=primary open, route_shifted region=primary weight=0, route_shifted region=secondary weight=100])
                FAILED: 1 of 2 tests failed

                """)
    }

    @Test func brokenTestFilesAreReportedWithPositions() throws {
        try FileHelper.write(directory + "/broken/rules.yaml", Self.rules)
        try FileHelper.write(
            directory + "/broken/a.test.yaml",
            """
            rule_files: [rules.yaml]
            tests:
              - name: t
                input_series:
                  - labels: { region: primary }
                    requests: "10x5 7xz"
                expect:
                  - at: 1500ms
                    state: { circuit: { region=primary: ajar } }
            """)
        defer { FileHelper.remove(directory) }
        let report = RuleTestRunner.run(paths: [directory + "/broken/a.test.yaml"])
        #expect(report.exitStatus == 1)
        #expect(
            report.text == """
                \(directory)/broken/a.test.yaml
                  \(directory)/broken/a.test.yaml:6:25: '7xz': the repeat count after 'x' must be a whole number of 1 or more
                  \(directory)/broken/a.test.yaml:8:13: 'at' (1.5s) must be a multiple of evaluation_interval (1s)
                  \(directory)/broken/a.test.yaml:9:45: a circuit state is closed, open or half_open, not 'ajar'
                FAILED: 0 of 0 tests failed, 1 files could not be run

                """)
    }
}
