import BallastConfig
import BallastTesting
import Testing
@testable import BallastSimulator

/// The `oauth` section of a simulator config and the body of `PUT /_sim/oauth`.
@Suite struct TokenIssuerConfigTests {
    @Test func parsesTheDocumentedSection() throws {
        let config = try SimulatorConfig.parse(
            """
            seed: 3
            oauth:
              client_id: ballast-test
              client_secret: sim-secret
              token_ttl: 5s
              listen: 127.0.0.1:0
              max_live_tokens: 100
              faults: { down: false, delay: 250ms }
            regions:
              - name: primary
            """, file: "oauth.yaml")
        #expect(
            config.oauth
                == TokenIssuerConfig(
                    clientID: "ballast-test", clientSecret: "sim-secret", tokenTTL: 5,
                    listen: ListenAddress(host: "127.0.0.1", port: 0), maxLiveTokens: 100,
                    faults: TokenIssuerFaults(delay: 0.25)))
    }

    @Test func defaultsAndAbsence() throws {
        #expect(try SimulatorConfig.parse("regions: [{ name: a }]").oauth == nil)
        #expect(try SimulatorConfig.parse("oauth:\nregions: [{ name: a }]").oauth == nil)  // null = absent
        let minimal = try SimulatorConfig.parse("oauth: { client_id: c, client_secret: s }\nregions: [{ name: a }]")
        #expect(minimal.oauth == TokenIssuerConfig(clientID: "c", clientSecret: "s"))
        #expect(minimal.oauth?.tokenTTL == 3600)
        #expect(minimal.oauth?.listen == ListenAddress(host: "127.0.0.1", port: 0))
        #expect(
            try SimulatorConfig.parse("oauth: { client_id: c, client_secret: s, token_ttl: 1m30s }\nregions: [{ name: a }]")
                .oauth?.tokenTTL == 90)
        #expect(
            try SimulatorConfig.parse("oauth: { client_id: c, client_secret: s, token_ttl: 7 }\nregions: [{ name: a }]")
                .oauth?.tokenTTL == 7)
    }

    @Test func reportsEveryErrorWithLineAndColumn() {
        let text = """
            oauth:
              client_id: ballast-test
              token_ttl: 500ms
              listen: 127.0.0.1:18001
              max_live_tokens: 0
              client_secrett: typo
              faults: { down: maybe, slow: 2s }
            regions:
              - name: primary
                listen: 127.0.0.1:18001
            """
        do {
            _ = try SimulatorConfig.parse(text, file: "bad.yaml")
            Issue.record("expected an error")
        } catch let error as ConfigError {
            let lines = error.issues.map(\.description)
            #expect(lines.contains { $0.hasPrefix("bad.yaml:2:3:") && $0.contains("needs 'client_secret'") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("bad.yaml:3:14:") && $0.contains("whole number of seconds") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("bad.yaml:4:11:") && $0.contains("as region 'primary' does") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("bad.yaml:5:20:") && $0.contains("at least 1") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("bad.yaml:6:3:") && $0.contains("unknown key 'client_secrett'") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("bad.yaml:7:19:") && $0.contains("true or false") }, "\(lines)")
            #expect(lines.contains { $0.hasPrefix("bad.yaml:7:26:") && $0.contains("unknown key 'slow'") }, "\(lines)")
            #expect(error.issues.count == 7, "\(lines)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func rejectsBadValues() {
        let cases = [
            "oauth: { client_id: '', client_secret: s }\nregions: [{ name: a }]",
            "oauth: { client_id: c, client_secret: '' }\nregions: [{ name: a }]",
            "oauth: { client_id: c, client_secret: s, token_ttl: 0s }\nregions: [{ name: a }]",
            "oauth: { client_id: c, client_secret: s, token_ttl: 1.5 }\nregions: [{ name: a }]",
            "oauth: { client_id: c, client_secret: s, listen: nowhere }\nregions: [{ name: a }]",
            "oauth: { client_id: c, client_secret: s, faults: { delay: soon } }\nregions: [{ name: a }]",
            "oauth: [c, s]\nregions: [{ name: a }]",
            "oauth: { client_id: c, client_secret: s }",
        ]
        for text in cases {
            #expect(throws: ConfigError.self, "\(text)") { try SimulatorConfig.parse(text) }
        }
    }

    @Test func issuerFaultsParseFromJSON() throws {
        #expect(try TokenIssuerFaults.parse(#"{"down": true, "delay": "2s"}"#) == TokenIssuerFaults(down: true, delay: 2))
        #expect(try TokenIssuerFaults.parse(#"{"delay": 0.5}"#) == TokenIssuerFaults(delay: 0.5))
        #expect(try TokenIssuerFaults.parse("{}") == TokenIssuerFaults())
        let faults = TokenIssuerFaults(down: true, delay: 0.125)
        #expect(faults.json == #"{"down":true,"delay":0.125}"#)
        #expect(try TokenIssuerFaults.parse(faults.json) == faults)
        #expect(throws: ConfigError.self) { try TokenIssuerFaults.parse(#"{"down": "yes please"}"#) }
        #expect(throws: ConfigError.self) { try TokenIssuerFaults.parse(#"{"delay": "-1s"}"#) }
    }
}
