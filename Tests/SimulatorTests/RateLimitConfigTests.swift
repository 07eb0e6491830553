import BallastConfig
@testable import BallastTesting
import Testing
@testable import BallastSimulator

/// The YAML of organisation and region limits, episodes and capacity.
@Suite struct RateLimitConfigTests {
    @Test func parsesOrganisationAndRegionLimits() throws {
        let config = try SimulatorConfig.parse(
            """
            rate_limit: { requests_per_minute: 120, burst: 5, input_tokens_per_minute: 40000, output_tokens_per_minute: 8000, output_tokens_burst: 2000 }
            regions:
              - name: shared
                capacity: 8
                episodes:
                  - rate_per_hour: 4
                    mean_duration: 45s
                    models: ["claude-opus-*"]
                    faults: { error_ratio: { "503": 0.5, "529": 0.3 }, reset_ratio: 0.1 }
                    stall: { ratio: 0.2, duration: 10s }
              - name: bedrock
                rate_limit: { scope: region, requests_per_second: 2, tokens_per_minute: 1000 }
              - name: legacy
                faults: { rate_limit: { requests_per_second: 3 } }
            """)
        #expect(
            config.rateLimit
                == RateLimitSettings(
                    requestsPerSecond: 2, burst: 5, inputTokensPerMinute: 40_000,
                    outputTokensPerMinute: 8_000, outputTokensBurst: 2_000))
        let shared = config.regions[0]
        #expect(shared.faults.rateLimit == nil)  // the organisation's
        #expect(shared.capacity == 8)
        #expect(
            shared.episodes == [
                FaultEpisodeModel(
                    ratePerHour: 4, meanDuration: 45, models: ["claude-opus-*"],
                    faults: FaultOverride(errorRatios: [503: 0.5, 529: 0.3], resetRatio: 0.1),
                    stall: StallModel(ratio: 0.2, duration: 10))
            ])
        #expect(
            config.regions[1].faults.rateLimit
                == RateLimitSettings(
                    requestsPerSecond: 2, tokensPerMinute: 1_000,
                    scope: .region))
        // Limits in the old place are the organisation's unless they say otherwise.
        #expect(config.regions[2].faults.rateLimit == RateLimitSettings(requestsPerSecond: 3))
        #expect(config.regions[2].faults.rateLimit?.scope == .organisation)
        // Off by default: existing scenarios are unchanged.
        let plain = try SimulatorConfig.parse("regions: [{ name: a }]")
        #expect(plain.rateLimit == RateLimitSettings() && plain.regions[0].episodes.isEmpty && plain.regions[0].capacity == 0)
    }

    @Test func rejectsContradictions() {
        let cases: [(String, String)] = [
            ("rate_limit: { scope: region, requests_per_second: 1 }\nregions: [{ name: a }]", "belongs in a region"),
            ("regions: [{ name: a, rate_limit: { requests_per_second: 1 }, faults: { rate_limit: { burst: 1 } } }]", "give it once"),
            ("regions: [{ name: a, rate_limit: { scope: planet } }]", "organisation or region"),
            ("regions: [{ name: a, rate_limit: { requests_per_second: 1, requests_per_minute: 60 } }]", "not both"),
            ("regions: [{ name: a, episodes: [{ rate_per_hour: 1, mean_duration: 1m }] }]", "needs 'faults' or 'stall'"),
            (
                "regions: [{ name: a, episodes: [{ rate_per_hour: 1, mean_duration: 1m, faults: { outage: true } }] }]",
                "may only set error_ratio"
            ),
            ("regions: [{ name: a, episodes: [{ rate_per_hour: 1, mean_duration: 0s, stall: { ratio: 1 } }] }]", "above 0"),
            ("regions: [{ name: a, episodes: [{ mean_duration: 1m, stall: { ratio: 1 } }] }]", "rate_per_hour"),
            ("regions: [{ name: a, capacity: 0 }]", "at least 1"),
        ]
        for (text, message) in cases {
            do {
                _ = try SimulatorConfig.parse(text)
                Issue.record("expected an error for \(text)")
            } catch let error as ConfigError {
                #expect(error.description.contains(message), "\(text): \(error)")
            } catch {
                Issue.record("unexpected error \(error)")
            }
        }
    }

    @Test func faultsJSONReadsBackWithScopeAndTokenFigures() throws {
        let faults = FaultSettings(
            rateLimit: RateLimitSettings(
                requestsPerSecond: 0.5, burst: 2, inputTokensPerMinute: 1_000,
                inputTokensBurst: 100, outputTokensPerMinute: 50, scope: .region),
            errorRatios: [529: 0.25])
        #expect(faults.json.hasPrefix(#"{"rate_limit":{"scope":"region","requests_per_second":0.5,"burst":2,"#))
        #expect(try FaultSettings.parse(faults.json) == faults)
        // Without limits of its own a region shows none: it takes the organisation's.
        #expect(FaultSettings().json.hasPrefix(#"{"error_ratio":{}"#))
        #expect(try FaultSettings.parse("{}").rateLimit == nil)
    }
}
