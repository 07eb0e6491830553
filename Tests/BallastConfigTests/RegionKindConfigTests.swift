import BallastConfig
import Testing

/// `upstream.regions[].kind`: Bedrock and Vertex regions beside the Anthropic API (docs/regions.md).
@Suite struct RegionKindConfigTests {
    static let threeKinds = """
        upstream:
          regions:
            - { name: anthropic, base_url: "https://api.anthropic.com", weight: 100 }
            - name: bedrock-us-east-1
              kind: bedrock
              aws_region: us-east-1
              weight: 0
              models: { "claude-sonnet-4-5*": "us.anthropic.claude-sonnet-4-5-20250929-v1:0", "claude-haiku-*": "h" }
            - name: vertex-global
              kind: vertex
              project: my-project
              location: global
              endpoint: http://127.0.0.1:9
              credentials_file: /var/run/secrets/gcp/sa.json
              weight: 0
              models: { "claude-sonnet-4-5*": "claude-sonnet-4-5@20250929" }
        """

    @Test func aConfigWithAllThreeKindsReads() throws {
        let regions = try GatewayConfig.parse(Self.threeKinds, file: "ballast.yaml").upstream.regions
        #expect(regions.map(\.kind) == [.anthropic, .bedrock, .vertex])
        #expect(regions[0].cloud == nil)
        #expect(regions[1].baseURL == "https://bedrock-runtime.us-east-1.amazonaws.com")
        #expect(
            regions[1].cloud?.models == [
                ModelMapping(pattern: "claude-sonnet-4-5*", target: "us.anthropic.claude-sonnet-4-5-20250929-v1:0"),
                ModelMapping(pattern: "claude-haiku-*", target: "h"),
            ])
        #expect(regions[2].baseURL == "http://127.0.0.1:9")
        #expect(regions[2].cloud?.credentialsFile == "/var/run/secrets/gcp/sa.json")
        // Each cloud region is its own limit group: quotas are per account or project, region and model.
        #expect(regions.map(\.limitGroup) == ["credential", "bedrock-us-east-1", "vertex-global"])
        #expect(CloudRegionConfig(location: "global").resolvedEndpoint(kind: .vertex) == "https://aiplatform.googleapis.com")
        #expect(CloudRegionConfig(location: "us-east5").resolvedEndpoint(kind: .vertex) == "https://us-east5-aiplatform.googleapis.com")
    }

    @Test func mistakesAreErrorsAtTheirPositions() {
        let issues = configIssues(
            """
            upstream:
              regions:
                - { name: a, base_url: "https://api.anthropic.com", aws_region: us-east-1 }
                - { name: b, kind: bedrock, models: { "m": "x" } }
                - { name: c, kind: vertex, project: p, location: "us east", models: {} }
                - { name: d, kind: azure, base_url: "https://x" }
                - { name: e, kind: bedrock, aws_region: us-east-1, base_url: "https://x", project: p, models: { m: "a b" } }
            """)
        let messages = issues.map(\.message)
        #expect(messages.contains { $0.contains("'upstream.regions[0].aws_region' belongs to bedrock and vertex regions") })
        #expect(messages.contains { $0.contains("aws_region") && $0.contains("regions[1]") })
        #expect(messages.contains { $0.contains("'upstream.regions[2].location' must be letters") })
        #expect(messages.contains { $0.contains("'upstream.regions[2].models' maps no model") })
        #expect(messages.contains { $0.contains("'upstream.regions[3].kind' must be one of anthropic, bedrock, vertex, not 'azure'") })
        #expect(messages.contains { $0.contains("a bedrock region has no 'base_url'") })
        #expect(messages.contains { $0.contains("'upstream.regions[4].project' is not a setting of bedrock regions") })
        #expect(messages.contains { $0.contains("which is not a model id") })
    }
}
