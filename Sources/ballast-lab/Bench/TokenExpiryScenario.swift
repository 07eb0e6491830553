import BallastTesting
import Foundation
import BallastSimulator
import Upstream

/// The issue's `token_expiry`: OAuth bearer tokens that live 5 s. The naive application of
/// an unprotected client fetches one token at start and keeps it, so everything after the
/// expiry is a 401 (the SDK does not retry 401s, and a retry would not help); Ballast fetches
/// and refreshes tokens itself, before they expire.
struct TokenExpiryScenario: BenchScenario {
    let name = "token_expiry"
    static let title = "Expiring OAuth tokens"
    static let rate = 50.0
    static let tokenTTL = 5

    static func simulatorYAML(seed: UInt64) -> String {
        """
        seed: \(seed)
        oauth:
          client_id: ballast-test
          client_secret: \(ResilienceHarness.oauthSecret)
          token_ttl: \(tokenTTL)s
          listen: 127.0.0.1:0
        regions:
          - name: primary
            listen: 127.0.0.1:0
            latency: { first_byte: { median: 60ms, spread: 0.25 }, token_interval: 1ms }
            output: { min_tokens: 20, max_tokens: 80 }
        """
    }

    func run(_ context: BenchContext) async throws -> BenchSection {
        let driver: SDKLoadDriver
        do { driver = try SDKLoadDriver.locate() } catch {
            return ResilienceHarness.skipped(scenario: name, title: Self.title, reason: error)
        }
        // At least a few lifetimes, or there is nothing to see.
        let seconds = max(Double(Self.tokenTTL) * 3, context.seconds(30))
        let schedule = ArrivalSchedule(rate: Self.rate, seconds: seconds)
        let harness = ResilienceHarness(
            context: context, driver: driver, scenario: name,
            simulatorConfig: try SimulatorConfig.parse(Self.simulatorYAML(seed: context.seed), file: "<\(name) simulator>"),
            schedule: schedule)
        let client = context.makeLoadClient()
        defer { client.shutdown() }
        let unprotected = try await harness.unprotected(client: client)
        let direct = try await harness.sdkDirect()
        let ballast = try await harness.sdkViaBallast(name: "SDK via Ballast", client: client)
        let ways = [unprotected, direct, ballast]

        let checks = [
            TargetCheck.failureRate(
                "SDK via Ballast: client-visible errors <= 0.05%", failures: ballast.failed, of: ballast.requests, atMost: 0.0005,
                measured: WayTable.errors(ballast)),
            WayTable.reduction(ballast, versus: direct),
        ]
        let refreshes = ballast.ballast.map { String(format: "%.0f", $0.tokenRefreshes) } ?? "?"
        let summary = """
            One simulated region behind the simulator's OAuth issuer; tokens expire \(Self.tokenTTL) s after \
            they are issued. Unprotected and SDK direct play the naive application: one token fetched at \
            start and sent as `Authorization: Bearer` until the end, so every request after the first \
            \(Self.tokenTTL) s is a 401 (the `anthropic` SDK, \(direct.sdkVersion ?? "?"), does not retry 401, rightly: the same token would fail again). \
            Ballast runs in `auth: { mode: oauth }` against the same issuer and refreshes before expiry \
            (\(refreshes) token fetches in \(String(format: "%.0f", seconds)) s). The same Poisson arrivals \
            (\(BenchFormat.rate(Self.rate)) req/s) for each way. Client-visible errors: unprotected \
            \(WayTable.errors(unprotected)); SDK direct \(WayTable.errors(direct)); via Ballast \
            \(WayTable.errors(ballast)).
            """
        var tables = [WayTable.outcomes(ways)]
        if let counters = WayTable.ballast(ways) { tables.append(counters) }
        tables.append(TargetCheck.table(checks))
        var figures: [String: Double] = ["rate": Self.rate, "seconds": seconds, "token_ttl": Double(Self.tokenTTL)]
        for (way, prefix) in [(unprotected, "unprotected"), (direct, "sdk_direct"), (ballast, "ballast")] {
            figures.merge(WayTable.figures(way, prefix: prefix)) { $1 }
        }
        if let counters = ballast.ballast { figures["ballast_token_refreshes"] = counters.tokenRefreshes }
        return BenchSection(scenario: name, title: Self.title, summary: summary, tables: tables, figures: figures)
    }
}
