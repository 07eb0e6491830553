import BallastConfig
@testable import BallastTesting
import Testing
@testable import BallastSimulator

@Suite struct SimulatorConfigTests {
    static let example = """
        seed: 42
        regions:
          - name: primary
            listen: 127.0.0.1:0
            api_key: sim-key
            latency:
              first_byte: { median: 200ms, spread: 0.3 }
              token_interval: 5ms
              slow_tail: { ratio: 0.03, factor: 4 }
              stall: { ratio: 0.005, duration: 3s }
            output: { min_tokens: 10, max_tokens: 60, tokens_per_delta: 1 }
            faults:
              rate_limit: { requests_per_second: 50, burst: 50, tokens_per_minute: 0 }
              error_ratio: { "500": 0.01, "529": 0.03 }
              reset_ratio: 0.02
              stream_error_ratio: 0.0
              outage: false
            schedule:
              - { at: 10s, for: 15s, faults: { outage: true } }
          - name: secondary
            listen: 127.0.0.1:0
        """

    @Test func parsesTheDocumentedExample() throws {
        let config = try SimulatorConfig.parse(Self.example, file: "sim.yaml")
        #expect(config.seed == 42)
        #expect(config.regions.map(\.name) == ["primary", "secondary"])
        let primary = config.regions[0]
        #expect(primary.listen == ListenAddress(host: "127.0.0.1", port: 0))
        #expect(primary.apiKey == "sim-key")
        #expect(
            primary.latency
                == LatencyModel(
                    firstByteMedian: 0.2, firstByteSpread: 0.3, tokenInterval: 0.005,
                    slowTail: SlowTailModel(ratio: 0.03, factor: 4),
                    stall: StallModel(ratio: 0.005, duration: 3)))
        #expect(primary.output == OutputModel(minTokens: 10, maxTokens: 60, tokensPerDelta: 1))
        #expect(
            primary.faults
                == FaultSettings(
                    rateLimit: RateLimitSettings(requestsPerSecond: 50, burst: 50),
                    errorRatios: [500: 0.01, 529: 0.03], resetRatio: 0.02))
        #expect(primary.schedule == [FaultScheduleEntry(at: 10, duration: 15, faults: FaultOverride(outage: true))])
        // Absent sections take the fault-free, zero-latency defaults.
        #expect(config.regions[1].faults == FaultSettings())
        #expect(config.regions[1].latency == LatencyModel())
        #expect(config.regions[1].apiKey == nil)
    }

    @Test func firstByteMayBeAPlainDuration() throws {
        let config = try SimulatorConfig.parse("regions: [{ name: a, latency: { first_byte: 50ms } }]")
        #expect(config.regions[0].latency.firstByteMedian == 0.05)
        #expect(config.regions[0].latency.firstByteSpread == 0)
    }

    @Test func reportsEveryErrorWithLineAndColumn() {
        let text = """
            seed: 7
            regions:
              - name: primary
                latency:
                  first_byte: { median: fast }
                  token_intervall: 5ms
                faults:
                  error_ratio: { "500": 0.7, "418": 0.1, "529": 0.5 }
                  outage: maybe
            """
        do {
            _ = try SimulatorConfig.parse(text, file: "bad.yaml")
            Issue.record("expected an error")
        } catch let error as ConfigError {
            let lines = error.issues.map(\.description)
            #expect(lines.contains { $0.hasPrefix("bad.yaml:5:29:") && $0.contains("'median' must be a duration") })
            #expect(lines.contains { $0.hasPrefix("bad.yaml:6:7:") && $0.contains("unknown key 'token_intervall'") })
            #expect(lines.contains { $0.hasPrefix("bad.yaml:8:34:") && $0.contains("unknown key '418'") })
            #expect(lines.contains { $0.contains("must not exceed 1") })
            #expect(lines.contains { $0.hasPrefix("bad.yaml:9:15:") && $0.contains("true or false") })
            #expect(error.issues.count == 5)
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func scheduleEntriesMayNameModels() throws {
        let config = try SimulatorConfig.parse(
            """
            regions:
              - name: primary
                schedule:
                  - { at: 10s, for: 20s, models: ["claude-opus-*"], faults: { error_ratio: { "529": 1 } } }
            """)
        #expect(
            config.regions[0].schedule == [
                FaultScheduleEntry(
                    at: 10, duration: 20, faults: FaultOverride(errorRatios: [529: 1]),
                    models: ["claude-opus-*"])
            ])
        do {
            _ = try SimulatorConfig.parse(
                """
                regions:
                  - name: primary
                    schedule:
                      - { at: 1s, models: [m], faults: { outage: true } }
                """, file: "bad.yaml")
            Issue.record("expected an error")
        } catch let error as ConfigError {
            #expect(
                error.issues.map(\.description) == [
                    "bad.yaml:4:27: an entry with 'models' may only set error_ratio, reset_ratio and stream_error_ratio: "
                        + "outages and rate limits belong to the whole region"
                ])
        }
    }

    @Test func rejectsMissingAndDuplicateRegions() {
        #expect(throws: ConfigError.self) { try SimulatorConfig.parse("seed: 1") }
        #expect(throws: ConfigError.self) { try SimulatorConfig.parse("regions: []") }
        do {
            _ = try SimulatorConfig.parse("regions:\n  - name: a\n  - name: a\n", file: "dup.yaml")
            Issue.record("expected an error")
        } catch let error as ConfigError {
            #expect(error.description.contains("dup.yaml:3:5: region name 'a' is used twice"))
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func rejectsBadValues() {
        let cases = [
            "regions: [{ name: a, listen: 'nowhere' }]",
            "regions: [{ name: a, output: { min_tokens: 20, max_tokens: 10 } }]",
            "regions: [{ name: a, output: { tokens_per_delta: 0 } }]",
            "regions: [{ name: a, latency: { slow_tail: { factor: 0.5 } } }]",
            "regions: [{ name: a, faults: { reset_ratio: 1.5 } }]",
            "regions: [{ name: a, faults: { rate_limit: { requests_per_second: -1 } } }]",
            "regions: [{ name: a, schedule: [{ for: 1s, faults: {} }] }]",
            "seed: -3\nregions: [{ name: a }]",
            "regions: [{ name: a }\n",
        ]
        for text in cases {
            #expect(throws: ConfigError.self, "\(text)") { try SimulatorConfig.parse(text) }
        }
    }

    @Test func faultsSectionParsesFromJSON() throws {
        let faults = try FaultSettings.parse(#"{"error_ratio":{"529":0.25},"outage":true,"rate_limit":{"requests_per_second":5}}"#)
        #expect(
            faults
                == FaultSettings(
                    rateLimit: RateLimitSettings(requestsPerSecond: 5), errorRatios: [529: 0.25],
                    outage: true))
        // The JSON form reads back to the same settings.
        #expect(try FaultSettings.parse(faults.json) == faults)
        #expect(throws: ConfigError.self) { try FaultSettings.parse(#"{"outage": "sometimes"}"#) }
    }
}
