import BallastCore
import BallastTesting
import Foundation
import Upstream
import JSON
import BallastSimulator

/// Runs the ways of one resilience benchmark on the same simulated upstream and the same
/// arrivals: each way gets a fresh `Simulator` from the same config and seed, so the regions'
/// fault draws, rate-limit buckets, token issuer and counters start alike, and the regions'
/// request counts are that way's alone.
struct ResilienceHarness: Sendable {
    let context: BenchContext
    let driver: SDKLoadDriver
    /// Names the scratch files.
    let scenario: String
    let simulatorConfig: SimulatorConfig
    let schedule: ArrivalSchedule
    /// Seconds after the last arrival before a request still open counts as failed.
    var drain: Double = 30

    static let model = "claude-sonnet-4-6"
    static let maxTokens = 256
    /// The secret of the simulator's token issuer (a test double's, not a real one); it reaches
    /// Ballast and the SDK driver through the environment, as a real secret would.
    static let oauthSecret = "bench-sim-secret"

    /// The prompt of request `index` of segment `segment`, as `bench/sdk_load.py` builds it.
    static func prompt(segment: Int, index: Int) -> String {
        "Request \(segment).\(index): tell me something about ballast."
    }

    /// The section of a scenario that could not run its SDK ways (no venv): says so and
    /// what to do, instead of failing the whole suite.
    static func skipped(scenario: String, title: String, reason: any Error) -> BenchSection {
        BenchSection(
            scenario: scenario, title: title,
            summary: "**Not run**: this scenario drives the official `anthropic` SDK through `bench/sdk_load.py`, "
                + "and that is not available here: \(reason). `make bench` installs it (`make venv`).",
            tables: [], figures: ["skipped": 1])
    }

    // MARK: The ways

    /// Our open-loop generator straight at the first region, no retries (not even libcurl's:
    /// a new connection per request, as an unprotected client has no pooling): the "before".
    /// With an OAuth issuer it takes one token at the start and keeps it, like a naive app.
    func unprotected(client: UpstreamClient) async throws -> WayResult {
        try await withSimulator(label: "unprotected") { simulator in
            let url = simulator.regions[0].baseURL + "/v1/messages"
            // `connection: close`: libcurl silently sends a request again when a reused
            // connection dies before any answer, which would hide resets from the baseline.
            var headers: HTTPHeaders = [
                "content-type": "application/json", "anthropic-version": "2023-06-01",
                "connection": "close",
            ]
            if let issuer = simulator.tokenIssuer {
                headers.add("authorization", "Bearer \(issuer.issueToken())")
            } else {
                headers.add("x-api-key", "sk-bench")
            }
            let fixedHeaders = headers
            let report = await ScheduledLoad(client: client).run(schedule, seed: context.seed, drain: drain) { segment, index in
                let text = JSONText.escape(Self.prompt(segment: segment, index: index))
                let body = #"{"model":"\#(Self.model)","max_tokens":\#(Self.maxTokens),"messages":[{"role":"user","content":"\#(text)"}]}"#
                return UpstreamRequest(
                    url: url, headers: fixedHeaders, body: Array(body.utf8),
                    timeouts: UpstreamTimeouts(connect: 2, firstByte: 60, idle: 30, total: 60))
            }
            return WayResult(name: "unprotected", load: report, upstream: simulator.regions.map(\.stats))
        }
    }

    /// The official SDK with its default retries, straight at the first region.
    func sdkDirect() async throws -> WayResult {
        try await withSimulator(label: "sdk-direct") { simulator in
            var options = SDKLoadOptions(
                label: "\(scenario)-direct", baseURL: simulator.regions[0].baseURL,
                schedule: schedule, seed: context.seed)
            options.drain = drain
            if let issuer = simulator.tokenIssuer {
                options.bearerTokenURL = issuer.tokenURL
                options.environment[SDKLoadDriver.secretEnvironment] = Self.oauthSecret
            }
            let result = try await driver.run(options, context: context)
            return WayResult(name: "SDK direct", sdk: result, upstream: simulator.regions.map(\.stats))
        }
    }

    /// The same SDK through a fresh `ballast serve` over every region of the simulator.
    /// - Parameters:
    ///   - upstreamYAML: extra lines of the `upstream` section (two spaces in), e.g. to
    ///     turn hedging off.
    ///   - schedule: another load than the harness's, for a Ballast-only run.
    func sdkViaBallast(
        name: String, upstreamYAML: String = "", schedule other: ArrivalSchedule? = nil,
        maxRetries: Int = 2, probeRetryAfter: Double = 0, client: UpstreamClient
    ) async throws -> WayResult {
        let label = name.lowercased().filter { $0.isLetter || $0.isNumber }
        return try await withSimulator(label: label) { simulator in
            var environment: [String: String] = [:]
            if simulator.tokenIssuer != nil { environment[SDKLoadDriver.secretEnvironment] = Self.oauthSecret }
            let ballast = try BallastProcess(
                configYAML: ballastYAML(simulator: simulator, label: label, upstreamYAML: upstreamYAML),
                directory: context.directory, environment: environment)
            defer { ballast.stop() }
            var options = SDKLoadOptions(
                label: "\(scenario)-\(label)", baseURL: "http://\(ballast.proxyAddress)",
                schedule: other ?? schedule, seed: context.seed)
            options.maxRetries = maxRetries
            options.drain = drain
            options.probeRetryAfter = probeRetryAfter
            let admin = ballast.adminAddress
            let sampling = Task {
                var timeline: [BallastCounters] = []
                while !Task.isCancelled {
                    try? await Task.sleep(for: .seconds(1))
                    if let counters = await BallastCounters.scrape(admin: admin, client: client) { timeline.append(counters) }
                }
                return timeline
            }
            let result: SDKLoadResult
            do {
                result = try await driver.run(options, context: context)
            } catch {
                sampling.cancel()
                throw error
            }
            sampling.cancel()
            let counters = await BallastCounters.scrape(admin: admin, client: client)
            var way = WayResult(name: name, sdk: result, upstream: simulator.regions.map(\.stats), ballast: counters)
            way.ballastTimeline = await sampling.value
            return way
        }
    }

    // MARK: Pieces

    private func withSimulator(label: String, _ body: (Simulator) async throws -> WayResult) async throws -> WayResult {
        context.log("\(scenario): \(label)")
        let simulator = Simulator(config: simulatorConfig)
        try simulator.start()
        defer { simulator.stop() }
        return try await body(simulator)
    }

    /// Ballast with its resilience defaults over every region (equal weights), passthrough
    /// credentials, or OAuth when the simulator issues tokens. No rule files, a quick drain.
    private func ballastYAML(simulator: Simulator, label: String, upstreamYAML: String) -> String {
        let auth: String
        if let issuer = simulator.tokenIssuer {
            auth =
                #"{ mode: oauth, token_url: "\#(issuer.tokenURL)", client_id: \#(issuer.config.clientID), client_secret_env: \#(SDKLoadDriver.secretEnvironment) }"#
        } else {
            auth = "{ mode: passthrough }"
        }
        let regions = simulator.regions.map { #"    - { name: \#($0.name), base_url: "\#($0.baseURL)", weight: 100 }"# }
        let store = context.directory.appendingPathComponent("\(scenario)-\(label).db").path
        return """
            listen: 127.0.0.1:0
            admin: { listen: 127.0.0.1:0 }
            store: { path: "\(store)" }
            server: { drain_timeout: 2s }
            rules: { paths: [] }
            upstream:
              auth: \(auth)
            \(upstreamYAML)
              regions:
            \(regions.joined(separator: "\n"))
            """
    }
}
