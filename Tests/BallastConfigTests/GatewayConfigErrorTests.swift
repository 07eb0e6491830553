import BallastConfig
import Testing

@Suite struct GatewayConfigErrorTests {
    @Test func unknownKeyNamesKeyLineAndColumn() {
        let issues = configIssues(
            """
            listen: 127.0.0.1:8080
            upstream:
              regions:
                - name: primary
                  base_url: https://api.anthropic.com
                  wieght: 5
            """)
        #expect(positions(issues) == ["6:7"])
        #expect(issues.first?.message.contains("unknown key 'wieght' in upstream.regions[0]") == true)
        #expect(issues.first?.description.hasPrefix("ballast.yaml:6:7: unknown key 'wieght'") == true)
    }

    @Test func unknownTopLevelKey() {
        let issues = configIssues("listn: 127.0.0.1:8080\n" + minimalRegions)
        #expect(positions(issues) == ["1:1"])
        #expect(issues.first?.message.contains("unknown key 'listn'") == true)
    }

    @Test func everyMistakeIsReportedInFileOrder() {
        let issues = configIssues(
            """
            listen: 127.0.0.1:80800
            admin:
              listen: 127.0.0.1:9090
              tokn_env: X
            server:
              threads: 0
              max_body: 12 parsecs
              drain_timeout: soon
            upstream:
              timeouts:
                connect: 0s
                first_byte: fast
              regions:
                - name: Primary
                  base_url: ftp://example.com
                - name: backup
                  base_url: https://example.com/v1
                  weight: -3
            """)
        #expect(
            positions(issues) == [
                "1:9", "4:3", "6:12", "7:13", "8:18", "11:14", "12:17", "14:13", "15:17", "17:17", "18:15",
            ])
        let messages = issues.map(\.message)
        #expect(messages[0].contains("'listen' must be host:port"))
        #expect(messages[1].contains("unknown key 'tokn_env' in admin"))
        #expect(messages[2] == "'server.threads' must be between 1 and 64, not 0")
        #expect(messages[3].contains("'server.max_body' must be a size"))
        #expect(messages[4].contains("'server.drain_timeout' must be a duration"))
        #expect(messages[5] == "'upstream.timeouts.connect' must be greater than 0")
        #expect(messages[6].contains("'upstream.timeouts.first_byte' must be a duration"))
        #expect(messages[7].contains("region name must be lower-case"))
        #expect(messages[8].contains("must start with http:// or https://"))
        #expect(messages[9].contains("without a path"))
        #expect(messages[10] == "'upstream.regions[1].weight' must be 0 or more, not -3")
    }

    @Test func badDuration() {
        let issues = configIssues(
            """
            upstream:
              timeouts: { connect: 2 parsecs, idle: inf }
              regions: [{ name: a, base_url: "https://a.example.com" }]
            """)
        #expect(positions(issues) == ["2:24", "2:41"])
        #expect(issues.allSatisfy { $0.message.contains("must be a duration") })
    }

    @Test func phaseLongerThanTotal() {
        let issues = configIssues(
            """
            upstream:
              timeouts:
                total: 30s
                first_byte: 60s
              regions: [{ name: a, base_url: "https://a.example.com" }]
            """)
        #expect(positions(issues) == ["4:17"])
        #expect(issues.first?.message == "'upstream.timeouts.first_byte' (1m) exceeds 'total' (30s)")
    }

    @Test func badSize() {
        let issues = configIssues(
            """
            server:
              max_body: 32XB
            \(minimalRegions)
            """)
        #expect(positions(issues) == ["2:13"])
        #expect(issues.first?.message.contains("not '32XB'") == true)

        let zero = configIssues("server: { max_body: 0 }\n" + minimalRegions)
        #expect(positions(zero) == ["1:21"])
        #expect(zero.first?.message == "'server.max_body' must be greater than 0")
    }

    @Test func badListenAddress() {
        let issues = configIssues(
            """
            listen: localhost
            admin:
              listen: "[::1:9090"
            \(minimalRegions)
            """)
        #expect(positions(issues) == ["1:9", "3:11"])
        #expect(issues[0].message.contains("'listen' must be host:port"))
        #expect(issues[1].message.contains("'admin.listen' must be host:port"))
    }

    @Test func listenersCannotSharePort() {
        let issues = configIssues(
            """
            listen: 0.0.0.0:8080
            admin:
              listen: 127.0.0.1:8080
            clients:
              require_key: false
            \(minimalRegions)
            """)
        #expect(positions(issues) == ["3:11"])
        #expect(issues.first?.message.contains("cannot share a port") == true)
    }

    @Test func duplicateRegionReportedAtTheDuplicate() {
        let issues = configIssues(
            """
            upstream:
              regions:
                - name: east
                  base_url: https://a.example.com
                - name: west
                  base_url: https://b.example.com
                - name: east
                  base_url: https://c.example.com
            """)
        #expect(positions(issues) == ["7:13"])
        #expect(issues.first?.message == "duplicate region name 'east' (first defined at line 3)")
    }

    @Test func noWeightedRegion() {
        let issues = configIssues(
            """
            upstream:
              regions:
                - { name: a, base_url: "https://a.example.com", weight: 0 }
                - { name: b, base_url: "https://b.example.com", weight: 0 }
            """)
        #expect(positions(issues) == ["3:5"])
        #expect(issues.first?.message.contains("at least one region needs a weight above 0") == true)
    }

    @Test func regionsAreRequired() {
        let none = configIssues("listen: 127.0.0.1:8080\n")
        #expect(positions(none) == ["1:1"])
        #expect(none.first?.message.contains("needs 'upstream.regions'") == true)

        let noRegions = configIssues(
            """
            listen: 127.0.0.1:8080
            upstream:
              anthropic_version: "2023-06-01"
            """)
        #expect(positions(noRegions) == ["3:3"])
        #expect(noRegions.first?.message == "upstream needs 'regions' with at least one region")

        let emptyList = configIssues("upstream:\n  regions: []\n")
        #expect(positions(emptyList) == ["2:12"])
        #expect(emptyList.first?.message == "'upstream.regions' needs at least one region")

        let emptyFile = configIssues("")
        #expect(positions(emptyFile) == ["1:1"])
    }

    @Test func aRegionNameOverTheBoundIsAnErrorWithItsPosition() {
        let long = String(repeating: "a", count: 65)
        let issues = configIssues(
            """
            upstream:
              regions:
                - name: \(long)
                  base_url: https://a.example.com
            """)
        #expect(positions(issues) == ["3:13"])
        #expect(issues.first?.message.contains("65 bytes, longer than the limit of 64") == true, "\(issues)")
        #expect(issues.first.map { "\($0)" }?.hasPrefix("ballast.yaml:3:13") == true, "\(issues)")
        // A 2 MB name is refused too, and the message does not repeat it.
        let huge = configIssues("upstream:\n  regions:\n    - { name: \(String(repeating: "a", count: 2_000_000)), base_url: https://a.example.com }\n")
        #expect(huge.count == 1 && huge[0].message.utf8.count < 200)
        #expect(
            configIssues(
                """
                upstream:
                  regions:
                    - { name: \(String(repeating: "a", count: 64)), base_url: https://a.example.com }
                server: { header_timeout: 0s }
                """
            ).map(\.message) == ["'server.header_timeout' must be greater than 0"])
    }

    @Test func regionNeedsNameAndBaseURL() {
        let issues = configIssues(
            """
            upstream:
              regions:
                - weight: 5
                - name: ""
                  base_url: https://user:pw@a.example.com
            """)
        #expect(positions(issues) == ["3:7", "3:7", "4:13", "5:17"])
        #expect(issues[0].message == "upstream.regions[0] needs 'name'")
        #expect(issues[1].message == "upstream.regions[0] needs 'base_url'")
        #expect(issues[2].message.contains("region name must be"))
        #expect(issues[3].message.contains("must not contain a user or password"))
    }

    @Test func oauthMissingKeys() {
        let issues = configIssues(
            """
            upstream:
              auth:
                mode: oauth
                token_url: https://auth.example.com/oauth/token
              regions:
                - { name: a, base_url: "https://a.example.com" }
            """)
        #expect(positions(issues) == ["3:5", "3:5"])
        #expect(issues.map(\.message) == ["mode oauth needs 'client_id'", "mode oauth needs 'client_secret_env'"])
    }

    @Test func staticNeedsExactlyOneKeySource() {
        let neither = configIssues(
            """
            upstream:
              auth:
                mode: static
              regions: [{ name: a, base_url: "https://a.example.com" }]
            """)
        #expect(positions(neither) == ["3:5"])
        #expect(neither.first?.message == "mode static needs 'api_key_env' or 'api_key_file'")

        let both = configIssues(
            """
            upstream:
              auth:
                mode: static
                api_key_env: ANTHROPIC_API_KEY
                api_key_file: /path/key
              regions: [{ name: a, base_url: "https://a.example.com" }]
            """)
        #expect(positions(both) == ["5:5"])
        #expect(both.first?.message == "mode static takes either 'api_key_env' or 'api_key_file', not both")
    }

    /// The annotated example lists every auth key; as one config it mixes two modes.
    @Test func keysOfAnotherModeAreErrors() {
        let issues = configIssues(
            """
            upstream:
              auth:
                mode: static
                api_key_env: ANTHROPIC_API_KEY
                api_key_file: /path/key
                token_url: https://auth.example.com/oauth/token
                client_id: my-client
                client_secret_env: BALLAST_OAUTH_SECRET
              regions: [{ name: a, base_url: "https://a.example.com" }]
            """)
        #expect(positions(issues) == ["5:5", "6:5", "7:5", "8:5"])
        #expect(issues[1].message == "'token_url' applies to mode oauth, not to mode static")
    }

    @Test func badAuthMode() {
        let missing = configIssues(
            """
            upstream:
              auth: { api_key_env: KEY }
              regions: [{ name: a, base_url: "https://a.example.com" }]
            """)
        #expect(positions(missing) == ["2:9"])
        #expect(missing.first?.message == "upstream.auth needs 'mode' (passthrough, static, oauth)")

        let unknown = configIssues(
            """
            upstream:
              auth: { mode: magic }
              regions: [{ name: a, base_url: "https://a.example.com" }]
            """)
        #expect(positions(unknown) == ["2:17"])
        #expect(unknown.first?.message == "'upstream.auth.mode' must be one of passthrough, static, oauth, not 'magic'")
    }

    @Test func secretInsteadOfEnvironmentName() {
        let issues = configIssues(
            """
            upstream:
              auth: { mode: static, api_key_env: sk-ant-api03-abcdef }
              regions: [{ name: a, base_url: "https://a.example.com" }]
            """)
        #expect(positions(issues) == ["2:38"])
        #expect(issues.first?.message.contains("not the secret itself") == true)
        #expect(issues.first?.message.contains("sk-ant") == false)
    }

    @Test func yamlSyntaxErrorHasPosition() {
        let issues = configIssues(
            """
            listen: 127.0.0.1:8080
            admin: listen: 127.0.0.1:9090
            """)
        #expect(positions(issues) == ["2:14"])
        #expect(issues.first?.message.hasPrefix("YAML syntax error:") == true)
    }

    @Test func duplicateKeyIsReported() {
        let issues = configIssues(
            """
            listen: 127.0.0.1:8080
            \(minimalRegions)
            listen: 127.0.0.1:8081
            """)
        #expect(positions(issues) == ["5:1"])
        #expect(issues.first?.message == "duplicate key 'listen' in the config file (first given at line 1)")
    }

    @Test func badAnthropicVersionAndPool() {
        let issues = configIssues(
            """
            upstream:
              anthropic_version: "2023-06-01\\r\\nx-evil: 1"
              pool: { max_per_host: 200, max_total: 100, idle_timeout: 0 }
              regions: [{ name: a, base_url: "https://a.example.com" }]
            """)
        #expect(positions(issues) == ["2:22", "3:25", "3:60"])
        #expect(issues[0].message.contains("must be a version"))
        #expect(issues[1].message == "'upstream.pool.max_per_host' (200) exceeds 'max_total' (100)")
        #expect(issues[2].message == "'upstream.pool.idle_timeout' must be greater than 0")
    }

    @Test func sectionThatIsNotAMapping() {
        let issues = configIssues("server: 4\n" + minimalRegions)
        #expect(positions(issues) == ["1:9"])
        #expect(issues.first?.message == "server must be a mapping of keys to values")
    }
}
