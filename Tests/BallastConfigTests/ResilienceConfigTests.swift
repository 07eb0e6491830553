import BallastConfig
import Testing

@Suite struct ResilienceConfigTests {
    @Test func defaultsWhenTheSectionsAreAbsent() throws {
        let config = try GatewayConfig.parse(minimalRegions, file: "ballast.yaml")
        #expect(config.upstream.retry == RetryConfig())
        #expect(config.upstream.hedge == HedgeConfig())
        #expect(config.upstream.pacing == PacingConfig())
        #expect(config.upstream.concurrency == ConcurrencyConfig())
        #expect(config.cache == CacheConfig())
        #expect(config.upstream.retry.maxAttempts == 4)
        #expect(config.upstream.retry.budgetRatio == 0.2)
        #expect(config.upstream.hedge.maxExtraRatio == 0.05)
    }

    @Test func readsEverySection() throws {
        let config = try GatewayConfig.parse(
            """
            upstream:
              retry: { max_attempts: 3, backoff: { base: 100ms, cap: 2s }, max_retry_after: 30s, budget: { ratio: 10%, min_per_second: 1 } }
              hedge: { enabled: false, quantile: 0.9, min_samples: 50, max_extra_ratio: 0.02, disabled_models: ["claude-opus-*"] }
              pacing: { enabled: true, max_waiting: 10, max_wait: 2s }
              concurrency: { initial: 10, min: 2, max: 50 }
              regions:
                - { name: primary, base_url: "https://api.anthropic.com" }
            cache: { max_entries: 5, max_bytes: 1MB, default_ttl: 1m, temperature_zero_ttl: 5m }
            """, file: "ballast.yaml")
        #expect(
            config.upstream.retry
                == RetryConfig(
                    maxAttempts: 3, backoffBase: .seconds(0.1), backoffCap: .seconds(2), maxRetryAfter: .seconds(30),
                    budgetRatio: 0.1, budgetMinPerSecond: 1))
        #expect(
            config.upstream.hedge
                == HedgeConfig(
                    enabled: false, quantile: 0.9, minSamples: 50, maxExtraRatio: 0.02,
                    disabledModels: ["claude-opus-*"]))
        #expect(config.upstream.pacing == PacingConfig(enabled: true, maxWaiting: 10, maxWait: .seconds(2)))
        #expect(config.upstream.concurrency == ConcurrencyConfig(enabled: true, initial: 10, min: 2, max: 50))
        #expect(config.cache.maxEntries == 5)
        #expect(config.cache.maxBytes == 1_000_000)
        #expect(config.cache.defaultTTL == .seconds(60))
        #expect(config.cache.temperatureZeroTTL == .seconds(300))
    }

    @Test func reportsMistakesWithPositions() {
        let issues = configIssues(
            """
            upstream:
              retry: { max_attempts: 0, backoff: { base: soon } }
              concurrency: { initial: 1, min: 2, max: 3 }
              regions:
                - { name: primary, base_url: "https://api.anthropic.com" }
            cache: { wat: 1 }
            """)
        #expect(positions(issues) == ["2:26", "2:46", "3:16", "6:10"])
    }
}
