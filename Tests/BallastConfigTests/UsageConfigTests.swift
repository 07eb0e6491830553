import BallastConfig
import Testing

struct UsageConfigTests {
    @Test func pricingIsReadInOrderAndTheShippedExampleIsTheDefault() throws {
        let config = try GatewayConfig.parse(
            minimalRegions + """

                pricing:
                  - { model: "claude-opus-4-1*", input: 15, output: 75, cache_creation: 18.75, cache_read: 1.5 }
                  - model: "claude-*"
                    input: 3
                    output: 15
                    cache_creation: 3.75
                    cache_read: 0.3
                metrics: { max_models: 8, max_clients: 4 }
                tracing:
                  otlp_endpoint: "http://127.0.0.1:4318/"
                  sample_ratio: 0.25
                  headers_env: OTLP_HEADERS
                """, file: "ballast.yaml")
        #expect(config.pricing.prices.count == 2)
        #expect(config.pricing.price(for: "claude-opus-4-1-20250805")?.output == 75)
        #expect(config.pricing.price(for: "claude-sonnet-4-6")?.cacheRead == 0.3)
        #expect(config.metrics == MetricsConfig(maxModels: 8, maxClients: 4))
        #expect(config.tracing.otlpEndpoint == "http://127.0.0.1:4318")
        #expect(config.tracing.sampleRatio == 0.25 && config.tracing.headersEnv == "OTLP_HEADERS")
        let defaults = try GatewayConfig.parse(minimalRegions, file: "ballast.yaml")
        #expect(defaults.pricing.prices == PricingConfig.shippedExample)
        #expect(defaults.pricing.price(for: "claude-sonnet-4-6")?.input == 3)
        #expect(!defaults.tracing.isEnabled)
        let off = try GatewayConfig.parse(minimalRegions + "\npricing: []\n", file: "ballast.yaml")
        #expect(off.pricing.prices.isEmpty)
    }

    @Test func anUnknownTokenTypeOrANegativePriceIsAnErrorAtItsPlace() {
        let issues = configIssues(
            minimalRegions + """

                pricing:
                  - { model: "a*", input: 1, output: 2, cache_creation: 3, cache_read: 4, cache_write_1h: 6 }
                  - { model: "b*", input: -1, output: 2, cache_creation: 3, cache_read: 4 }
                  - { model: "c*", input: 1, output: 2, cache_creation: 3 }
                  - { model: "d*", input: cheap, output: 2, cache_creation: 3, cache_read: 4 }
                tracing: { otlp_endpoint: "collector:4318", sample_ratio: 2 }
                """)
        let text = issues.map(\.description).joined(separator: "\n")
        #expect(positions(issues) == ["5:75", "6:27", "7:5", "8:27", "9:27", "9:59"], "\(text)")
        #expect(text.contains("unknown key 'cache_write_1h'"))
        #expect(text.contains("'pricing[1].input' must be a price of 0 or more"))
        #expect(text.contains("needs 'cache_read'"))
        #expect(text.contains("ballast.yaml:5:75"))
    }
}
