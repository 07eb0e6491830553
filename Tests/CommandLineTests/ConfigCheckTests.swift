import BallastTesting
import Foundation
import Testing

/// `ballast config check` and `ballast --version`, as an operator or a pipeline runs them.
@Suite(.serialized) struct ConfigCheckTests {
    /// A rule file opening the circuit of `region`.
    static func rules(region: String, when expression: String = "error_ratio[1m] > 0.5") -> String {
        """
        groups:
          - name: g
            rules:
              - name: r
                when: \(expression)
                action: { circuit: open, target: { region: \(region) } }

        """
    }

    @Test func aGoodConfigIsPrintedWithItsVariablesSubstituted() async throws {
        let directory = try TemporaryDirectory("ballast-cli")
        defer { directory.remove() }
        _ = try directory.write("rules.yaml", Self.rules(region: #""$region""#, when: "error_ratio[1m] by (region) > 0.5"))
        let config = try directory.write(
            "ballast.yaml",
            """
            listen: "127.0.0.1:${CHECK_PORT:-8080}"
            admin: { listen: "127.0.0.1:${CHECK_ADMIN_PORT}" }
            rules: { paths: [rules.yaml] }
            upstream:
              auth: { mode: static, api_key_env: ANTHROPIC_API_KEY }
              regions:
                - { name: us, base_url: "${CHECK_UPSTREAM}" }
                - { name: eu, base_url: "https://api.anthropic.com", weight: 0 }

            """)
        let run = try await BallastRun.run(
            ["config", "check", "--config", config],
            environment: ["CHECK_ADMIN_PORT": "9191", "CHECK_UPSTREAM": "https://eu.example.test"])
        #expect(run.ending == .exited(0), "\(run.ending) \(run.output) \(run.errors)")
        #expect(run.output.contains(#"listen: "127.0.0.1:8080""#), "\(run.output)")
        #expect(run.output.contains(#"listen: "127.0.0.1:9191""#), "\(run.output)")
        #expect(run.output.contains(#"base_url: "https://eu.example.test""#), "\(run.output)")
        #expect(run.output.contains("api_key_env: ANTHROPIC_API_KEY"), "names of secrets are shown, never values")
        #expect(run.output.contains("# rule files: 1"), "\(run.output)")
    }

    @Test func aBadConfigListsEveryProblemAsFileLineColumn() async throws {
        let directory = try TemporaryDirectory("ballast-cli")
        defer { directory.remove() }
        _ = try directory.write("rules.yaml", Self.rules(region: "nowhere"))
        let config = try directory.write(
            "ballast.yaml",
            """
            listen: 127.0.0.1:${CHECK_UNSET_PORT}
            shutdown: { delay: soon }
            log: { format: xml }
            upstream:
              regions:
                - { name: us, base_url: "https://api.anthropic.com" }

            """)
        let run = try await BallastRun.run(["config", "check", "--config", config])
        #expect(run.ending == .exited(1), "\(run.ending)")
        let lines = run.output.split(separator: "\n").map(String.init)
        #expect(
            lines == [
                "\(config):1:19: environment variable CHECK_UNSET_PORT is not set (give a default with ${CHECK_UNSET_PORT:-value})",
                "\(config):2:20: 'shutdown.delay' must be a duration such as 500ms, 2s or 10m, not 'soon'",
                "\(config):3:16: 'log.format' must be text or json, not 'xml'",
                "FAILED: 3 problems",
            ], "\(run.output)")

        // A valid config whose rule files do not load fails too: `serve` would not start.
        let withRules = try directory.write(
            "rules-config.yaml",
            """
            rules: { paths: [rules.yaml] }
            upstream:
              regions:
                - { name: us, base_url: "https://api.anthropic.com" }

            """)
        let rules = try await BallastRun.run(["config", "check", "--config", withRules])
        #expect(rules.ending == .exited(1))
        #expect(rules.output.contains(directory.path("rules.yaml") + ":6:"), "\(rules.output)")
        #expect(rules.output.contains("nowhere"), "\(rules.output)")
    }

    /// The README's example config, with the shipped rules beside it, is valid as printed
    /// and points at the real API, not at a simulator's port.
    @Test func theReadmeExampleIsValid() async throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let readme = try String(contentsOf: root.appendingPathComponent("README.md"), encoding: .utf8)
        let start = try #require(readme.range(of: "With a config file"))
        let open = try #require(readme.range(of: "```yaml\n", range: start.upperBound..<readme.endIndex))
        let close = try #require(readme.range(of: "```", range: open.upperBound..<readme.endIndex))
        let yaml = String(readme[open.upperBound..<close.lowerBound])
        #expect(!yaml.contains("127.0.0.1:18"), "the example must not point at the simulator's ports")
        let directory = try TemporaryDirectory("ballast-cli")
        defer { directory.remove() }
        try FileManager.default.createSymbolicLink(atPath: directory.path("rules"), withDestinationPath: root.appendingPathComponent("rules").path)
        let config = try directory.write("ballast.yaml", yaml)
        let run = try await BallastRun.run(["config", "check", "--config", config])
        #expect(run.ending == .exited(0), "\(run.output) \(run.errors)")
        #expect(run.output.contains(#"base_url: "https://api.anthropic.com""#), "\(run.output)")
        #expect(!run.output.contains("# rule files: 0"), "the shipped rules were not checked: \(run.output)")
    }

    @Test func versionNamesTheCommit() async throws {
        let run = try await BallastRun.run(["--version"])
        #expect(run.ending == .exited(0))
        // "unknown" in a development build; `make dist` builds with the commit (see
        // Tests/deploy/test_dist.py).
        #expect(
            run.output.range(
                of: #"^ballast \d+\.\d+\.\d+ \(commit ([0-9a-f]{7,40}(-dirty)?|unknown)\)\n$"#,
                options: .regularExpression) != nil, "\(run.output)")
    }
}
