import BallastConfig
import BallastCore
import BallastTesting
import Gateway
import Testing
import Upstream
@testable import BallastSimulator

/// The resilient client against the simulator's faults, end to end: the same small
/// open-loop load sent directly (no protection) and through Ballast. Assertions are on
/// counts with wide margins, never on timings.
@Suite(.serialized) struct ResilienceScenarioTests {
    static let body = Array(#"{"model":"claude-sonnet-4-6","max_tokens":64,"messages":[{"role":"user","content":"hi"}]}"#.utf8)
    static let streamBody = Array(#"{"model":"claude-sonnet-4-6","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"hi"}]}"#.utf8)

    private func ballastYAML(_ regions: [SimulatedRegion], extra: String = "", auth: String = "{ mode: passthrough }") -> String {
        let list = regions.enumerated().map { index, region in
            "    - { name: \(region.name), base_url: \"\(region.baseURL)\", weight: \(index == 0 ? 100 : 0) }"
        }.joined(separator: "\n")
        return """
            listen: 127.0.0.1:0
            admin: { listen: 127.0.0.1:0 }
            store: { path: ":memory:" }
            rules: { paths: [] }
            upstream:
              auth: \(auth)
              timeouts: { connect: 1s, first_byte: 10s, idle: 10s, total: 30s }
            \(extra)
              regions:
            \(list)
            """
    }

    private func load(
        _ baseURL: String, rate: Double, seconds: Double, stream: Bool = false,
        client: UpstreamClient
    ) async -> LoadReport {
        let body = stream ? Self.streamBody : Self.body
        return await LoadGenerator(client: client).run(
            LoadPlan(rate: rate, duration: seconds, drainTimeout: 30, seed: 7) { _, _ in
                UpstreamRequest(
                    url: baseURL + "/v1/messages", headers: ["content-type": "application/json", "x-api-key": "k"],
                    body: body, timeouts: UpstreamTimeouts(connect: 2, firstByte: 20, idle: 20, total: 40))
            })
    }

    @Test func rateLimitBurstsArePacedNotPassedOn() async throws {
        let simulator = Simulator(
            config: try SimulatorConfig.parse(
                """
                regions:
                  - name: primary
                    listen: 127.0.0.1:0
                    faults: { rate_limit: { requests_per_second: 20, burst: 5 } }
                """))
        try simulator.start()
        defer { simulator.stop() }
        let harness = try GatewayHarness(yaml: ballastYAML(simulator.regions))
        defer { harness.stop() }
        // 40 req/s against a 20 req/s limit for 1.5 s: half the load is over the limit, and
        // pacing spreads it over the following seconds.
        let direct = await load(simulator.regions[0].baseURL, rate: 40, seconds: 1.5, client: harness.client)
        try await Task.sleep(for: .seconds(1))  // let the bucket refill between the runs
        let proxied = await load(harness.baseURL, rate: 40, seconds: 1.5, client: harness.client)
        #expect(direct.failedByStatus[429, default: 0] >= 8, "direct: \(direct.failedByStatus)")
        #expect(proxied.failed <= 1, "through Ballast: \(proxied.failedByStatus), \(proxied.transportFailures) transport")
        #expect(proxied.attemptsPerRequest <= 1.3, "attempts per request \(proxied.attemptsPerRequest)")
    }

    @Test func resetsAnd529sAreRetried() async throws {
        let simulator = Simulator(
            config: try SimulatorConfig.parse(
                """
                seed: 3
                regions:
                  - name: primary
                    listen: 127.0.0.1:0
                    faults: { reset_ratio: 0.03, error_ratio: { "529": 0.05 } }
                  - name: secondary
                    listen: 127.0.0.1:0
                    faults: { reset_ratio: 0.03, error_ratio: { "529": 0.05 } }
                """))
        try simulator.start()
        defer { simulator.stop() }
        let harness = try GatewayHarness(yaml: ballastYAML(simulator.regions))
        defer { harness.stop() }
        let direct = await load(simulator.regions[0].baseURL, rate: 100, seconds: 2, client: harness.client)
        let proxied = await load(harness.baseURL, rate: 100, seconds: 2, client: harness.client)
        #expect(direct.failed >= 5, "direct failed \(direct.failed)")
        #expect(proxied.failed <= 1, "through Ballast: \(proxied.failedByStatus), \(proxied.transportFailures) transport")
        #expect(proxied.attemptsPerRequest > 1.0)
    }

    @Test func anErrorEventBeforeContentIsRetried() async throws {
        // One-token answers: the simulator's stream error then comes before any content.
        let simulator = Simulator(
            config: try SimulatorConfig.parse(
                """
                seed: 5
                regions:
                  - name: primary
                    listen: 127.0.0.1:0
                    output: { min_tokens: 1, max_tokens: 1 }
                    faults: { stream_error_ratio: 0.1 }
                """))
        try simulator.start()
        defer { simulator.stop() }
        let harness = try GatewayHarness(yaml: ballastYAML(simulator.regions))
        defer { harness.stop() }
        let direct = await load(simulator.regions[0].baseURL, rate: 50, seconds: 2, stream: true, client: harness.client)
        let proxied = await load(harness.baseURL, rate: 50, seconds: 2, stream: true, client: harness.client)
        #expect(direct.failed >= 4, "direct failed \(direct.failed)")
        #expect(proxied.failed <= 1, "through Ballast failed \(proxied.failed)")
    }

    @Test func aSlowTailIsHedged() async throws {
        let latency = "{ first_byte: { median: 20ms, spread: 0.05 }, slow_tail: { ratio: 0.1, factor: 25 } }"
        let simulator = Simulator(
            config: try SimulatorConfig.parse(
                """
                seed: 11
                regions:
                  - { name: primary, listen: 127.0.0.1:0, latency: \(latency) }
                  - { name: secondary, listen: 127.0.0.1:0, latency: \(latency) }
                """))
        try simulator.start()
        defer { simulator.stop() }
        let harness = try GatewayHarness(
            yaml: ballastYAML(
                simulator.regions,
                extra: """
                      hedge: { min_samples: 20, max_extra_ratio: 0.2 }
                    """))
        defer { harness.stop() }
        let proxied = await load(harness.baseURL, rate: 100, seconds: 3, client: harness.client)
        let metrics = await harness.get("http://\(harness.gateway.adminAddress)/metrics").text
        #expect(proxied.failed == 0)
        #expect(metrics.contains(#"ballast_hedges_total{result="sent"}"#), "no hedge was sent")
        #expect(metrics.contains(#"ballast_hedges_total{result="won"}"#), "no hedge won")
    }

    @Test func expiringTokensNeverReachTheClient() async throws {
        let simulator = Simulator(
            config: try SimulatorConfig.parse(
                """
                oauth: { client_id: ballast, client_secret: s3cret, token_ttl: 2s, listen: 127.0.0.1:0 }
                regions:
                  - name: primary
                    listen: 127.0.0.1:0
                """))
        try simulator.start()
        defer { simulator.stop() }
        let issuer = try #require(simulator.tokenIssuer)
        let harness = try GatewayHarness(
            yaml: ballastYAML(
                simulator.regions,
                auth: "{ mode: oauth, token_url: \"\(issuer.tokenURL)\", client_id: ballast, client_secret_env: SIM_SECRET }"),
            environment: ["SIM_SECRET": "s3cret"])
        defer { harness.stop() }
        let proxied = await load(harness.baseURL, rate: 50, seconds: 5, client: harness.client)
        #expect(proxied.failed == 0, "through Ballast: \(proxied.failedByStatus)")
        // Refreshed ahead of expiry, one at a time: a handful of token calls, not one per request.
        #expect(issuer.stats.tokensIssued >= 2)
        #expect(issuer.stats.tokensIssued <= 8, "tokens issued \(issuer.stats.tokensIssued)")

        // A revoked token is refreshed once and the request replayed.
        issuer.revokeAllTokens()
        let after = await harness.post(body: String(decoding: Self.body, as: UTF8.self))
        #expect(after.head?.status == 200)
    }
}
