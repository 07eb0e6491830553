import BallastConfig
import Testing

@Suite struct GatewayConfigParsingTests {
    static let example = """
        listen: 127.0.0.1:8080            # the Anthropic-compatible proxy
        admin:
          listen: 127.0.0.1:9090          # /healthz, /metrics, /control/v1/..., status page
          token_env: BALLAST_ADMIN_TOKEN  # env var holding the bearer token for the control API
          open: false
        store:
          path: ./ballast.db              # SQLite file
        server:
          threads: 2
          max_body: 32MB
          drain_timeout: 30s
        upstream:
          anthropic_version: "2023-06-01"
          auth:
            mode: static
            api_key_env: ANTHROPIC_API_KEY
          timeouts: { connect: 2s, first_byte: 60s, idle: 30s, total: 600s }
          pool: { max_per_host: 50, max_total: 100, idle_timeout: 90s }
          regions:
            - { name: primary,   base_url: "https://api.anthropic.com", weight: 100 }
            - { name: secondary, base_url: "http://127.0.0.1:18002",    weight: 0 }
        rules:
          paths: ["rules/*.yaml"]
        """

    @Test func exampleParsesToExpectedValues() throws {
        let config = try GatewayConfig.parse(Self.example, file: "ballast.yaml")
        #expect(config.listen == ListenAddress(host: "127.0.0.1", port: 8080))
        #expect(config.admin == AdminConfig(listen: ListenAddress(host: "127.0.0.1", port: 9090), tokenEnv: "BALLAST_ADMIN_TOKEN", open: false))
        #expect(config.store.path == "./ballast.db")
        #expect(config.server == ServerConfig(threads: 2, maxBodyBytes: 32_000_000, drainTimeout: .seconds(30)))
        #expect(config.upstream.anthropicVersion == "2023-06-01")
        #expect(config.upstream.auth == AuthConfig(mode: .static, apiKeyEnv: "ANTHROPIC_API_KEY"))
        #expect(config.upstream.timeouts == TimeoutsConfig(connect: .seconds(2), firstByte: .seconds(60), idle: .seconds(30), total: .seconds(600)))
        #expect(config.upstream.pool == PoolConfig(maxPerHost: 50, maxTotal: 100, idleTimeout: .seconds(90)))
        #expect(
            config.upstream.regions == [
                RegionConfig(name: "primary", baseURL: "https://api.anthropic.com", weight: 100),
                RegionConfig(name: "secondary", baseURL: "http://127.0.0.1:18002", weight: 0),
            ])
        #expect(config.rules.paths == ["rules/*.yaml"])
    }

    @Test func embeddedDefaultParses() throws {
        let parsed = try GatewayConfig.parse(GatewayConfig.embeddedDefaultYAML, file: "<embedded>")
        #expect(parsed == GatewayConfig.embeddedDefault)
        #expect(parsed.upstream.regions == [RegionConfig(name: "anthropic", baseURL: "https://api.anthropic.com", weight: 100)])
        #expect(parsed.upstream.auth == AuthConfig(mode: .static, apiKeyEnv: "ANTHROPIC_API_KEY"))
        #expect(parsed.listen.description == "127.0.0.1:8080")
        #expect(parsed.admin.listen.description == "127.0.0.1:9090")
        #expect(parsed.admin.tokenEnv == "BALLAST_ADMIN_TOKEN")
        #expect(parsed.store.path == "./ballast.db")
        #expect(parsed.rules.paths == ["rules/*.yaml"])
    }

    @Test func onlyRegionsGivesEveryDefault() throws {
        let config = try GatewayConfig.parse(minimalRegions, file: "ballast.yaml")
        #expect(
            config
                == GatewayConfig(
                    upstream: UpstreamConfig(regions: [
                        RegionConfig(name: "primary", baseURL: "https://api.anthropic.com", weight: 100)
                    ])))
        #expect(config.listen.description == "127.0.0.1:8080")
        #expect(config.admin.listen.description == "127.0.0.1:9090")
        #expect(config.admin.tokenEnv == "BALLAST_ADMIN_TOKEN")
        #expect(config.admin.open == false)
        #expect(config.store.path == "./ballast.db")
        #expect(config.server.threads == 2)
        #expect(config.server.maxBodyBytes == 32_000_000)
        #expect(config.server.drainTimeout == .seconds(30))
        #expect(config.upstream.anthropicVersion == "2023-06-01")
        #expect(config.upstream.auth.mode == .static)
        #expect(config.upstream.auth.apiKeyEnv == "ANTHROPIC_API_KEY")
        #expect(config.upstream.timeouts == TimeoutsConfig(connect: .seconds(2), firstByte: .seconds(60), idle: .seconds(30), total: .seconds(600)))
        #expect(config.upstream.pool == PoolConfig(maxPerHost: 50, maxTotal: 100, idleTimeout: .seconds(90)))
        #expect(config.rules.paths == ["rules/*.yaml"])
    }

    @Test func emptiedSectionsMeanDefaults() throws {
        let text = """
            admin:
            server:
            store:
            rules:
            \(minimalRegions)
            """
        let config = try GatewayConfig.parse(text, file: "ballast.yaml")
        #expect(config.admin == AdminConfig())
        #expect(config.server == ServerConfig())
        #expect(config.store == StoreConfig())
        #expect(config.rules == RulesConfig())
    }

    @Test func partialSectionsKeepOtherDefaults() throws {
        let text = """
            server: { max_body: 1MiB }
            upstream:
              timeouts: { first_byte: 1m30s }
              pool: { max_total: 10, max_per_host: 5 }
              regions:
                - { name: us-east_1, base_url: "https://api.anthropic.com/" }
            """
        let config = try GatewayConfig.parse(text, file: "ballast.yaml")
        #expect(config.server == ServerConfig(threads: 2, maxBodyBytes: 1_048_576, drainTimeout: .seconds(30)))
        #expect(config.upstream.timeouts == TimeoutsConfig(connect: .seconds(2), firstByte: .seconds(90), idle: .seconds(30), total: .seconds(600)))
        #expect(config.upstream.pool == PoolConfig(maxPerHost: 5, maxTotal: 10, idleTimeout: .seconds(90)))
        // The trailing slash is dropped; the default weight applies.
        #expect(config.upstream.regions == [RegionConfig(name: "us-east_1", baseURL: "https://api.anthropic.com", weight: 100)])
    }

    @Test func authModes() throws {
        let passthrough = try GatewayConfig.parse(
            """
            upstream:
              auth: { mode: passthrough }
              regions: [{ name: a, base_url: "https://a.example.com" }]
            """, file: "ballast.yaml")
        #expect(passthrough.upstream.auth == .passthrough)
        #expect(passthrough.upstream.auth.apiKeyEnv == nil)

        let keyFile = try GatewayConfig.parse(
            """
            upstream:
              auth: { mode: static, api_key_file: /run/secrets/anthropic }
              regions: [{ name: a, base_url: "https://a.example.com" }]
            """, file: "ballast.yaml")
        #expect(keyFile.upstream.auth == .staticKey(file: "/run/secrets/anthropic"))

        let oauth = try GatewayConfig.parse(
            """
            upstream:
              auth:
                mode: oauth
                token_url: https://auth.example.com/oauth/token
                client_id: my-client
                client_secret_env: BALLAST_OAUTH_SECRET
              regions: [{ name: a, base_url: "https://a.example.com" }]
            """, file: "ballast.yaml")
        #expect(
            oauth.upstream.auth
                == .oauth(
                    tokenURL: "https://auth.example.com/oauth/token", clientID: "my-client", clientSecretEnv: "BALLAST_OAUTH_SECRET"))
        #expect(oauth.upstream.auth.mode == .oauth)
    }

    @Test func relativePathsResolveAgainstBaseDirectory() throws {
        let text = """
            store: { path: ./data/ballast.db }
            upstream:
              auth: { mode: static, api_key_file: secrets/key }
              regions: [{ name: a, base_url: "https://a.example.com" }]
            rules:
              paths: ["rules/*.yaml", "/opt/shared/rules.yaml", "./more/extra.yaml"]
            """
        let config = try GatewayConfig.parse(text, file: "/etc/ballast/ballast.yaml", baseDirectory: "/etc/ballast")
        #expect(config.store.path == "/etc/ballast/data/ballast.db")
        #expect(config.upstream.auth.apiKeyFile == "/etc/ballast/secrets/key")
        #expect(config.rules.paths == ["/etc/ballast/rules/*.yaml", "/opt/shared/rules.yaml", "/etc/ballast/more/extra.yaml"])

        // Without a base directory the paths stay as written.
        let unresolved = try GatewayConfig.parse(text, file: "ballast.yaml")
        #expect(unresolved.store.path == "./data/ballast.db")
        #expect(unresolved.rules.paths == ["rules/*.yaml", "/opt/shared/rules.yaml", "./more/extra.yaml"])
    }

    @Test func defaultPathsResolveToo() throws {
        let config = try GatewayConfig.parse(minimalRegions, file: "/srv/b/ballast.yaml", baseDirectory: "/srv/b")
        #expect(config.store.path == "/srv/b/ballast.db")
        #expect(config.rules.paths == ["/srv/b/rules/*.yaml"])
    }

    @Test func inMemoryStoreIsNotResolved() throws {
        let config = try GatewayConfig.parse("store: { path: \":memory:\" }\n" + minimalRegions, file: "x.yaml", baseDirectory: "/etc/ballast")
        #expect(config.store.path == ":memory:")
    }

    @Test func emptyRulesListMeansNoRules() throws {
        let config = try GatewayConfig.parse("rules: { paths: [] }\n" + minimalRegions, file: "x.yaml")
        #expect(config.rules.paths.isEmpty)
    }
}
