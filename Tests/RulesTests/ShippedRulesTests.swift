import Rules
import Testing

/// The rule files shipped in rules/ load together and pass their own tests (rules/tests), so
/// `make test` fails when a shipped rule or its test is broken.
@Suite struct ShippedRulesTests {
    @Test func shippedRulesPassCheck() {
        let report = RuleCheck.run(
            paths: ["\(repositoryRoot)/rules/*.yaml"],
            context: RuleContext(regions: [
                RuleRegion(name: "primary", weight: 100),
                RuleRegion(name: "secondary", weight: 0),
            ]))
        #expect(report.exitStatus == 0, "\(report.text)")
    }

    @Test func shippedRuleTestsPass() {
        let report = RuleTestRunner.run(paths: ["\(repositoryRoot)/rules/tests/*.yaml"])
        #expect(report.exitStatus == 0, "\(report.text)")
        #expect(report.text.contains("SUCCESS"))
    }
}
