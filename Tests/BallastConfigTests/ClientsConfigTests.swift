import BallastConfig
import Testing

@Suite struct ClientsConfigTests {
    static let hash = String(repeating: "ab", count: 32)

    @Test func everySettingIsRead() throws {
        let config = try GatewayConfig.parse(
            """
            clients:
              keys:
                - name: search-team
                  key_env: BALLAST_KEY_SEARCH
                  requests_per_minute: 600
                  input_tokens_per_minute: 400_000
                  output_tokens_per_minute: 80000
                  budget: { tokens_per_day: 5000000 }
                  models: ["claude-sonnet-*", "claude-haiku-*"]
                - name: batch
                  key_sha256: \(Self.hash.uppercased())
            \(minimalRegions)
            """, file: "ballast.yaml")
        #expect(config.clients.requireKey)
        #expect(
            config.clients.keys == [
                ClientKeyConfig(
                    name: "search-team", keyEnv: "BALLAST_KEY_SEARCH", requestsPerMinute: 600,
                    inputTokensPerMinute: 400_000, outputTokensPerMinute: 80000, tokensPerDay: 5_000_000,
                    models: ["claude-sonnet-*", "claude-haiku-*"]),
                ClientKeyConfig(name: "batch", keySHA256: Self.hash),
            ])
    }

    @Test func noSectionMeansNoKeysAndNoneRequired() throws {
        let config = try GatewayConfig.parse(minimalRegions, file: "ballast.yaml")
        #expect(!config.clients.isEnabled)
        #expect(!config.clients.requireKey)
    }

    @Test func mistakesAreReportedWithTheirPositions() {
        let issues = configIssues(
            """
            clients:
              keys:
                - name: one
                  key: sk-live-123
                - name: Two Words
                  key_env: K2
                - name: three
                - name: four
                  key_sha256: abc
                - name: five
                  key_env: K5
                  budget: { usd_per_day: 50 }
                  requests_per_minute: 0
                - name: five
                  key_env: K6
            \(minimalRegions)
            """)
        #expect(positions(issues) == ["4:7", "5:13", "7:7", "9:19", "12:17", "13:28", "14:7"])
        let messages = issues.map(\.message)
        #expect(messages[0].contains("never put a client key in the config file"))
        #expect(messages[1].contains("'clients.keys[1].name' must be 1 to 64 lower-case"))
        #expect(messages[2].contains("needs 'key_env'"))
        #expect(messages[3].contains("must be 64 hex digits"))
        #expect(messages[4].contains("needs a price table"))
        #expect(messages[5] == "'clients.keys[4].requests_per_minute' must be at least 1, not 0")
        #expect(messages[6].contains("the name 'five' is already used"))
    }

    @Test func passthroughModeCannotTakeClientKeys() {
        let issues = configIssues(
            """
            clients:
              keys: [{ name: a, key_env: A }]
            upstream:
              auth: { mode: passthrough }
              regions:
                - { name: primary, base_url: "https://api.anthropic.com" }
            """)
        #expect(issues.count == 1)
        #expect(issues.first?.message.contains("cannot be used with upstream.auth mode passthrough") == true)
    }

    /// Item 2 of #15: no open relay by accident.
    @Test func aListenerOffLoopbackNeedsClientKeysOrSaysSoOnPurpose() throws {
        let issues = configIssues("listen: 0.0.0.0:8080\n" + minimalRegions)
        #expect(positions(issues) == ["1:9"])
        #expect(issues.first?.message.contains("'clients.keys'") == true)
        #expect(issues.first?.message.contains("'clients.require_key: false'") == true)

        let withKeys = try GatewayConfig.parse(
            "listen: 0.0.0.0:8080\nclients:\n  keys: [{ name: a, key_env: A }]\n" + minimalRegions,
            file: "ballast.yaml")
        #expect(withKeys.clients.requireKey)
        let onPurpose = try GatewayConfig.parse(
            "listen: 0.0.0.0:8080\nclients:\n  require_key: false\n" + minimalRegions,
            file: "ballast.yaml")
        #expect(!onPurpose.clients.requireKey)
        #expect(onPurpose.clients.requireKeyExplicit)
        // The client's own key travels in passthrough mode: nothing of Ballast's to spend.
        _ = try GatewayConfig.parse(
            """
            listen: "[::]:8080"
            upstream:
              auth: { mode: passthrough }
              regions:
                - { name: primary, base_url: "https://api.anthropic.com" }
            """, file: "ballast.yaml")
        let oauth = configIssues(
            """
            listen: 10.0.0.5:8080
            upstream:
              auth: { mode: oauth, token_url: "https://auth.example.com/token", client_id: c, client_secret_env: S }
              regions:
                - { name: primary, base_url: "https://api.anthropic.com" }
            """)
        #expect(oauth.first?.message.contains("oauth credential") == true)
    }

    @Test func anOpenStatusPageOffLoopbackIsRefused() {
        let issues = configIssues(
            """
            admin:
              listen: 0.0.0.0:9090
              open: true
            \(minimalRegions)
            """)
        #expect(positions(issues) == ["3:9"])
        #expect(issues.first?.message.contains("'admin.open: false'") == true)
    }

    @Test func requiringAKeyWithoutAnyIsAMistake() {
        let issues = configIssues("clients:\n  require_key: true\n" + minimalRegions)
        #expect(issues.first?.message.contains("lists no key") == true)
    }
}
