import BallastConfig
import Testing

/// The sections a deployment sets: `shutdown`, `log`, `admin.probe_listen`, and what
/// `ballast config check` prints.
@Suite struct DeploymentConfigTests {
    @Test func defaultsSuitKubernetes() throws {
        let config = try GatewayConfig.parse(minimalRegions, file: "ballast.yaml")
        #expect(config.shutdown == ShutdownConfig(delay: .seconds(5), grace: .seconds(30)))
        #expect(config.log == LogConfig(format: .text, access: false))
        #expect(config.admin.probeListen == nil)
    }

    @Test func sectionsAreRead() throws {
        let config = try GatewayConfig.parse(
            """
            admin: { listen: 127.0.0.1:9090, probe_listen: 0.0.0.0:9091 }
            shutdown: { delay: 2s, grace: 45s }
            log: { format: json, access: true }
            """ + "\n" + minimalRegions, file: "ballast.yaml")
        #expect(config.admin.probeListen == ListenAddress(host: "0.0.0.0", port: 9091))
        #expect(config.shutdown == ShutdownConfig(delay: .seconds(2), grace: .seconds(45)))
        #expect(config.log == LogConfig(format: .json, access: true))
    }

    @Test func drainTimeoutIsStillTheGraceUnderItsOlderName() throws {
        let config = try GatewayConfig.parse("server: { drain_timeout: 12s }\n" + minimalRegions, file: "ballast.yaml")
        #expect(config.shutdown.grace == .seconds(12))
        let issues = configIssues("server: { drain_timeout: 12s }\nshutdown: { grace: 3s }\n" + minimalRegions)
        #expect(positions(issues) == ["2:20"])
        #expect(issues.first?.message.contains("both given") == true)
    }

    @Test func mistakesAreReportedTogether() {
        let issues = configIssues(
            """
            admin: { listen: 127.0.0.1:9090, probe_listen: 127.0.0.1:9090 }
            shutdown: { delay: soon, grace: 1s, linger: 2s }
            log: { format: xml, access: maybe }
            """ + "\n" + minimalRegions)
        #expect(positions(issues) == ["1:48", "2:20", "2:37", "3:16", "3:29"], "\(issues)")
        #expect(issues[0].message.contains("'admin.probe_listen' (127.0.0.1:9090) and 'admin.listen'"))
        #expect(issues[3].message == "'log.format' must be text or json, not 'xml'")
    }

    @Test func theCheckedDocumentIsPrintedSubstitutedWithSecretsRedacted() throws {
        let checked = try GatewayConfig.document(
            """
            listen: "127.0.0.1:${PORT:-8080}"
            upstream:
              regions:
                - { name: primary, base_url: "${UPSTREAM}" }
            """, file: "ballast.yaml", environment: ["UPSTREAM": "https://api.anthropic.com"])
        let text = checked.node.redactedYAML()
        // Substituted in place: the scalar keeps its quotes, the document its order.
        #expect(text.hasPrefix("listen: \"127.0.0.1:8080\"\nupstream:"), "\(text)")
        #expect(text.contains("base_url: \"https://api.anthropic.com\""), "\(text)")
        // The config reader refuses secrets in URLs and keys in `_env` fields; what a
        // `${VAR}` brings in elsewhere is redacted in what `config check` prints.
        let issues = ConfigIssues()
        let node = try #require(
            ConfigNode.parse(
                "a: redis://ballast:hunter2@redis:6379/0\nb: sk-ant-api03-abc\nc: ok\n",
                file: "x.yaml", issues: issues))
        let redacted = node.redactedYAML()
        #expect(redacted.contains("redis://ballast:<redacted>@redis:6379/0"), "\(redacted)")
        #expect(redacted.contains("b: <redacted>") && redacted.contains("c: ok"), "\(redacted)")
        #expect(!redacted.contains("hunter2") && !redacted.contains("api03"))
        #expect(ConfigNode.redactedText("https://api.anthropic.com/v1") == nil)
        #expect(ConfigNode.redactedText("redis://user@host:6379") == nil)
    }
}
