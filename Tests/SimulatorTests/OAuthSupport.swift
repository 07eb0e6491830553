import BallastTesting
import Foundation
@testable import BallastSimulator

/// Token requests and authenticated API calls for the OAuth tests.
enum OAuth {
    static let form = "grant_type=client_credentials&client_id=ballast-test&client_secret=sim-secret"

    /// A simulator with one fast region and a token issuer (5 s tokens unless told).
    static func simulator(
        _ issuer: TokenIssuerConfig = TokenIssuerConfig(tokenTTL: 5),
        region: SimulatedRegionConfig = SimulatedRegionConfig(),
        clock: ManualClock? = nil
    ) throws -> (Simulator, SimulatedRegion, TokenIssuer) {
        let config = SimulatorConfig(seed: 42, regions: [region], oauth: issuer)
        let simulator = clock.map { Simulator(config: config, clock: $0) } ?? Simulator(config: config)
        try simulator.start()
        guard let region = simulator.regions.first, let tokenIssuer = simulator.tokenIssuer else {
            simulator.stop()
            throw CocoaError(.featureUnsupported)
        }
        return (simulator, region, tokenIssuer)
    }

    /// `POST` a form body to the token endpoint.
    static func postForm(
        _ issuer: TokenIssuer, _ body: String = form, extra: [String] = [],
        writeOut: String? = nil
    ) throws -> CurlResult {
        try Curl.request(
            issuer.tokenURL,
            extra: [
                "-H", "content-type: application/x-www-form-urlencoded",
                "--data-binary", body,
            ] + extra, writeOut: writeOut)
    }

    /// The access token of a successful form grant, or nil.
    static func token(_ issuer: TokenIssuer) throws -> String? {
        jsonObject(try postForm(issuer).body)?["access_token"] as? String
    }

    /// `POST /v1/messages` with `Authorization: Bearer <token>` (none when nil).
    static func call(
        _ region: SimulatedRegion, token: String?, path: String = "/v1/messages",
        headers: [String: String] = [:]
    ) throws -> CurlResult {
        var headers = headers
        if let token { headers["authorization"] = "Bearer \(token)" }
        return try Curl.request(region.baseURL + path, json: messagesBody(), headers: headers)
    }

    /// The `error.type` and `error.message` of an Anthropic error body.
    static func apiError(_ result: CurlResult) -> (type: String?, message: String?) {
        let error = jsonObject(result.body)?["error"] as? [String: Any]
        return (error?["type"] as? String, error?["message"] as? String)
    }
}
