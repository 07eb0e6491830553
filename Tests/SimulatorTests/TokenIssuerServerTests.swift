import BallastTesting
import Foundation
import Testing
@testable import BallastSimulator

/// The OAuth token issuer and the regions' bearer checks, over real sockets with `curl`.
@Suite struct TokenIssuerServerTests {
    @Test func issuesTokensForFormJSONAndBasicAuth() throws {
        let (simulator, region, issuer) = try OAuth.simulator()
        defer { simulator.stop() }
        #expect(issuer.port != 0 && issuer.port != region.port)
        #expect(issuer.tokenURL == "http://127.0.0.1:\(issuer.port)/v1/oauth/token")

        let form = try OAuth.postForm(issuer)
        let json = try Curl.request(
            issuer.tokenURL,
            json: #"{"grant_type":"client_credentials","client_id":"ballast-test","client_secret":"sim-secret"}"#)
        let basic = try OAuth.postForm(issuer, "grant_type=client_credentials", extra: ["-u", "ballast-test:sim-secret"])
        var tokens: [String] = []
        for result in [form, json, basic] {
            #expect(result.status == 200, "\(result.body)")
            #expect(result.header("content-type") == "application/json")
            #expect(result.header("cache-control") == "no-store")
            let object = try #require(jsonObject(result.body))
            #expect(object["token_type"] as? String == "Bearer")
            #expect(object["expires_in"] as? Int == 5)
            #expect(result.body.contains(#""expires_in":5}"#))  // an integer, not 5.0
            let token = try #require(object["access_token"] as? String)
            #expect(token.hasPrefix("sim_at_"))
            tokens.append(token)
        }
        #expect(Set(tokens).count == 3)

        // Each token opens the API, streamed or not, and count_tokens too.
        for token in tokens {
            #expect(try OAuth.call(region, token: token).status == 200)
        }
        let stream = try Curl.request(
            region.baseURL + "/v1/messages", json: messagesBody(stream: true),
            headers: ["authorization": "bearer \(tokens[0])"])
        #expect(stream.status == 200)
        #expect(try OAuth.call(region, token: tokens[1], path: "/v1/messages/count_tokens").status == 200)
        let stats = issuer.stats
        #expect(stats.requests == 3)
        #expect(stats.tokensIssued == 3)
        #expect(stats.failures == 0)
        #expect(stats.liveTokens == 3)
        #expect(stats.responses(status: 200) == 3)
    }

    @Test func tokensExpireWithTheInjectedClock() throws {
        let clock = ManualClock()
        let (simulator, region, issuer) = try OAuth.simulator(clock: clock)
        defer { simulator.stop() }
        let token = try #require(try OAuth.token(issuer))
        #expect(try OAuth.call(region, token: token).status == 200)

        clock.advance(seconds: 4)
        #expect(try OAuth.call(region, token: token).status == 200)

        clock.advance(seconds: 1)  // exactly the TTL: expired
        let expired = try OAuth.call(region, token: token)
        #expect(expired.status == 401)
        #expect(expired.header("request-id")?.hasPrefix("req_") == true)
        #expect(expired.header("x-should-retry") == nil)
        #expect(OAuth.apiError(expired).type == "authentication_error")
        #expect(OAuth.apiError(expired).message == "bearer token expired")
        #expect(jsonObject(expired.body)?["type"] as? String == "error")
        #expect(issuer.stats.liveTokens == 0)  // dropped from the map ...

        // ... yet still recognised as expired (not invalid) long after.
        clock.advance(seconds: 86_400)
        #expect(OAuth.apiError(try OAuth.call(region, token: token)).message == "bearer token expired")
        #expect(
            OAuth.apiError(try OAuth.call(region, token: token, path: "/v1/messages/count_tokens")).message
                == "bearer token expired")
        // Unknown /v1/ paths authenticate before they route.
        #expect(try OAuth.call(region, token: token, path: "/v1/models").status == 401)

        // A fresh token works again.
        let fresh = try #require(try OAuth.token(issuer))
        #expect(try OAuth.call(region, token: fresh).status == 200)
        #expect(try OAuth.call(region, token: fresh, path: "/v1/models").status == 404)
        #expect(issuer.stats.rejectedExpired == 4)
        #expect(region.stats.responses(status: 401) == 4)
    }

    @Test func rejectsBadCredentialsAndGrants() throws {
        let (simulator, _, issuer) = try OAuth.simulator()
        defer { simulator.stop() }
        func oauthError(_ result: CurlResult) -> String? { jsonObject(result.body)?["error"] as? String }

        let wrongSecret = try OAuth.postForm(issuer, "grant_type=client_credentials&client_id=ballast-test&client_secret=nope")
        #expect(wrongSecret.status == 401)
        #expect(oauthError(wrongSecret) == "invalid_client")
        #expect(wrongSecret.header("www-authenticate")?.hasPrefix("Basic") == true)
        let wrongClient = try OAuth.postForm(issuer, "grant_type=client_credentials&client_id=other&client_secret=sim-secret")
        #expect(wrongClient.status == 401 && oauthError(wrongClient) == "invalid_client")
        let basicWrong = try OAuth.postForm(issuer, "grant_type=client_credentials", extra: ["-u", "ballast-test:nope"])
        #expect(basicWrong.status == 401 && oauthError(basicWrong) == "invalid_client")
        let jsonWrong = try Curl.request(
            issuer.tokenURL,
            json: #"{"grant_type":"client_credentials","client_id":"ballast-test","client_secret":"x"}"#)
        #expect(jsonWrong.status == 401 && oauthError(jsonWrong) == "invalid_client")
        let noCredentials = try OAuth.postForm(issuer, "grant_type=client_credentials")
        #expect(noCredentials.status == 401 && oauthError(noCredentials) == "invalid_client")

        let password = try OAuth.postForm(issuer, "grant_type=password&client_id=ballast-test&client_secret=sim-secret")
        #expect(password.status == 400)
        #expect(oauthError(password) == "unsupported_grant_type")
        let noGrant = try OAuth.postForm(issuer, "client_id=ballast-test&client_secret=sim-secret")
        #expect(noGrant.status == 400 && oauthError(noGrant) == "invalid_request")
        // Two authentication methods at once, a repeated field, bad JSON, a bad escape, GET.
        let twice = try OAuth.postForm(issuer, OAuth.form, extra: ["-u", "ballast-test:sim-secret"])
        #expect(twice.status == 400 && oauthError(twice) == "invalid_request")
        let repeated = try OAuth.postForm(issuer, OAuth.form + "&client_id=ballast-test")
        #expect(repeated.status == 400 && oauthError(repeated) == "invalid_request")
        let badJSON = try Curl.request(issuer.tokenURL, json: #"{"grant_type": "#)
        #expect(badJSON.status == 400 && oauthError(badJSON) == "invalid_request")
        let badEscape = try OAuth.postForm(issuer, OAuth.form + "%G1")
        #expect(badEscape.status == 400 && oauthError(badEscape) == "invalid_request")
        let get = try Curl.get(issuer.tokenURL)
        #expect(get.status == 405 && get.header("allow") == "POST")
        // Form escapes decode: '+' and %XX.
        let escaped = try OAuth.postForm(issuer, "grant_type=client%5Fcredentials&client_id=ballast%2Dtest&client_secret=sim-secret")
        #expect(escaped.status == 200)

        let stats = issuer.stats
        #expect(stats.requests == 13)
        #expect(stats.failures == 12)
        #expect(stats.tokensIssued == 1)
        #expect(stats.responses(status: 401) == 5)
        let overHTTP = try #require(jsonObject(try Curl.get(issuer.baseURL + "/_sim/oauth/stats").body))
        #expect(overHTTP["requests"] as? Int == 13)
        #expect(overHTTP["failures"] as? Int == 12)
        #expect(overHTTP["tokens_issued"] as? Int == 1)
    }

    @Test func regionsAcceptOnlyIssuedBearerTokens() throws {
        // The region's own api_key is not what OAuth regions check.
        let (simulator, region, issuer) = try OAuth.simulator(region: SimulatedRegionConfig(apiKey: "sim-key"))
        defer { simulator.stop() }
        let token = try #require(try OAuth.token(issuer))

        let missing = try OAuth.call(region, token: nil)
        #expect(missing.status == 401)
        #expect(OAuth.apiError(missing).type == "authentication_error")
        #expect(OAuth.apiError(missing).message == "authorization: Bearer header is required")
        #expect(try OAuth.call(region, token: nil, headers: ["x-api-key": "sim-key"]).status == 401)
        #expect(OAuth.apiError(try OAuth.call(region, token: "sim-key")).message == "invalid bearer token")
        #expect(
            OAuth.apiError(try OAuth.call(region, token: "sim_at_" + String(repeating: "0", count: 48))).message
                == "invalid bearer token")
        // One changed character (the expiry pushed far out) breaks the check value.
        var tampered = Array(token)
        tampered[7] = tampered[7] == "f" ? "e" : "f"
        #expect(OAuth.apiError(try OAuth.call(region, token: String(tampered))).message == "invalid bearer token")
        #expect(try OAuth.call(region, token: token).status == 200)

        // Revoked: invalid, not expired, until the client fetches a new one.
        issuer.revokeAllTokens()
        #expect(OAuth.apiError(try OAuth.call(region, token: token)).message == "invalid bearer token")
        #expect(try OAuth.call(region, token: try OAuth.token(issuer)).status == 200)
        #expect(issuer.stats.rejectedInvalid == 6)
        #expect(issuer.stats.rejectedExpired == 0)

        // Tokens of another simulator (another seed or secret) are not ours.
        let other = Simulator(
            config: SimulatorConfig(
                seed: 7, regions: [SimulatedRegionConfig()],
                oauth: TokenIssuerConfig(clientSecret: "other")))
        let foreign = try #require(other.tokenIssuer).issueToken()
        #expect(OAuth.apiError(try OAuth.call(region, token: foreign)).message == "invalid bearer token")
    }

    @Test func issuerDownAndSlowFromSwift() throws {
        let (simulator, region, issuer) = try OAuth.simulator()
        defer { simulator.stop() }
        let token = try #require(try OAuth.token(issuer))

        issuer.setDown(true)
        #expect(issuer.faults == TokenIssuerFaults(down: true))
        let down = try OAuth.postForm(issuer)
        #expect(down.status == 503)
        #expect(jsonObject(down.body)?["error"] as? String == "temporarily_unavailable")
        // Tokens already issued still open the API while the issuer is down.
        #expect(try OAuth.call(region, token: token).status == 200)

        issuer.setDown(false)
        issuer.setDelay(seconds: 0.4)
        let slow = try OAuth.postForm(issuer, writeOut: "%{time_total}")
        #expect(slow.status == 200)
        #expect((Double(slow.writeOut) ?? 0) >= 0.38, "\(slow.writeOut)")
        let slowTimeout = try OAuth.postForm(issuer, extra: ["--max-time", "0.1"])
        #expect(slowTimeout.exitCode == 28)  // curl: operation timed out

        issuer.setFaults(TokenIssuerFaults())
        let quick = try OAuth.postForm(issuer, writeOut: "%{time_total}")
        #expect(quick.status == 200)
        #expect((Double(quick.writeOut) ?? 1) < 0.3, "\(quick.writeOut)")
        let stats = issuer.stats
        #expect(stats.failures == 1)
        #expect(stats.responses(status: 503) == 1)
    }

    @Test func issuerFaultsOverHTTP() throws {
        let (simulator, _, issuer) = try OAuth.simulator()
        defer { simulator.stop() }
        let put = try Curl.request(issuer.baseURL + "/_sim/oauth", method: "PUT", json: #"{"down": true, "delay": "300ms"}"#)
        #expect(put.status == 200)
        #expect(issuer.faults == TokenIssuerFaults(down: true, delay: 0.3))
        let shown = try #require(jsonObject(try Curl.get(issuer.baseURL + "/_sim/oauth").body))
        #expect(shown["down"] as? Bool == true)
        #expect(shown["delay"] as? Double == 0.3)

        let down = try OAuth.postForm(issuer, writeOut: "%{time_total}")
        #expect(down.status == 503)
        #expect((Double(down.writeOut) ?? 0) >= 0.28, "\(down.writeOut)")

        // Bad input: 400 with line:column, and nothing changes.
        let bad = try Curl.request(issuer.baseURL + "/_sim/oauth", method: "PUT", json: "{\n  \"down\": \"maybe\"\n}")
        #expect(bad.status == 400)
        #expect(bad.body.contains("PUT /_sim/oauth:2:11"), "\(bad.body)")
        let unknown = try Curl.request(issuer.baseURL + "/_sim/oauth", method: "PUT", json: #"{"slow": true}"#)
        #expect(unknown.status == 400 && unknown.body.contains("unknown key 'slow'"))
        #expect(issuer.faults == TokenIssuerFaults(down: true, delay: 0.3))
        #expect(try Curl.request(issuer.baseURL + "/_sim/oauth/stats", method: "DELETE").status == 405)

        // PUT replaces: absent keys go back to the defaults.
        #expect(try Curl.request(issuer.baseURL + "/_sim/oauth", method: "PUT", json: "{}").status == 200)
        #expect(issuer.faults == TokenIssuerFaults())
        #expect(try OAuth.postForm(issuer).status == 200)
        // Control calls are not counted.
        #expect(issuer.stats.requests == 2)
    }

    @Test func issuerStaysUpWhileARegionRefusesConnections() throws {
        let (simulator, region, issuer) = try OAuth.simulator()
        defer { simulator.stop() }
        region.setFaults(FaultSettings(refuseConnections: true))
        #expect(try OAuth.call(region, token: nil).exitCode == 7)
        #expect(try OAuth.postForm(issuer).status == 200)
        region.setFaults(FaultSettings())
        #expect(try OAuth.call(region, token: try OAuth.token(issuer)).status == 200)
    }

    @Test func apiKeyStillAppliesWithoutOAuth() throws {
        let simulator = try startSimulator(SimulatedRegionConfig(apiKey: "sim-key"))
        defer { simulator.stop() }
        #expect(simulator.tokenIssuer == nil)
        let region = try #require(simulator.region(named: "primary"))
        #expect(try OAuth.call(region, token: "sim-key").status == 200)
        #expect(try OAuth.call(region, token: nil, headers: ["x-api-key": "sim-key"]).status == 200)
        #expect(OAuth.apiError(try OAuth.call(region, token: "wrong")).message == "invalid x-api-key")
        #expect(try OAuth.call(region, token: nil, path: "/v1/models").status == 401)
    }
}
