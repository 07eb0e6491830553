import BallastConfig
import Testing

/// `upstream.regions[].limit_group`: regions share their credential's allowance unless a
/// region says its limits are its own.
@Suite struct LimitGroupConfigTests {
    @Test func regionsShareTheCredentialsGroupUnlessTheySayOtherwise() throws {
        let config = try GatewayConfig.parse(
            """
            upstream:
              regions:
                - { name: primary, base_url: "https://api.anthropic.com" }
                - { name: standby, base_url: "https://api.anthropic.com", weight: 0 }
                - { name: bedrock-us, base_url: "https://bedrock.example", limit_group: bedrock-us }
            """, file: "ballast.yaml")
        #expect(config.upstream.regions.map(\.limitGroup) == ["credential", "credential", "bedrock-us"])
    }

    @Test func aGroupNameThatCannotBeALabelIsAnErrorAtItsPosition() {
        let issues = configIssues(
            """
            upstream:
              regions:
                - { name: primary, base_url: "https://api.anthropic.com", limit_group: "Org A" }
            """)
        #expect(positions(issues) == ["3:76"])
        #expect(issues.first?.message.contains("'upstream.regions[0].limit_group' must be lower-case letters") == true)
    }
}
