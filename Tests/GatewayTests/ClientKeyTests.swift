import Crypto
import BallastConfig
import BallastCore
import Cache
import Foundation
import HTTPServer
import Synchronization
import Resilience
import Telemetry
import Testing
import Upstream
import BallastTesting
@testable import Gateway

/// Client keys at the front door, against a real upstream: who gets in, what reaches the
/// upstream, and each refusal in the API's own shape.
@Suite struct ClientKeyTests {
    static let answer = #"{"id":"msg_1","type":"message","usage":{"input_tokens":5,"output_tokens":7}}"#

    /// What the real API says about the organisation's limits: never shown to a client key.
    static let organisationLimits: HTTPHeaders = [
        "anthropic-ratelimit-requests-limit": "4000",
        "anthropic-ratelimit-tokens-remaining": "99",
    ]

    static func body(model: String = "claude-sonnet-4-5", maxTokens: Int = 10) -> String {
        #"{"model":"\#(model)","max_tokens":\#(maxTokens),"messages":[{"role":"user","content":"hi"}]}"#
    }

    /// What the test upstream saw, and the answers it holds back while `hold` is set.
    final class Recorder: Sendable {
        let seen = Mutex<[(apiKey: String?, authorization: String?)]>([])
        let held = Mutex<[HTTPResponder]>([])
        let hold = Atomic<Bool>(false)
    }

    /// An upstream that records the credential headers it saw and answers `answer`.
    final class Upstream: Sendable {
        let recorder = Recorder()
        let server: HTTPServer
        var count: Int { recorder.seen.withLock { $0.count } }
        var seen: [(apiKey: String?, authorization: String?)] { recorder.seen.withLock { $0 } }
        var heldCount: Int { recorder.held.withLock { $0.count } }

        init() throws {
            let recorder = recorder
            server = try startUpstream { request, responder in
                recorder.seen.withLock { $0.append((request.headers["x-api-key"], request.headers["authorization"])) }
                if recorder.hold.load(ordering: .acquiring) {
                    recorder.held.withLock { $0.append(responder) }
                } else {
                    responder.respond(.json(200, ClientKeyTests.answer, headers: ClientKeyTests.organisationLimits))
                }
            }
        }

        func setHold(_ on: Bool) { recorder.hold.store(on, ordering: .releasing) }

        func release() {
            for responder in recorder.held.withLock({ list in
                defer { list = [] }
                return list
            }) {
                responder.respond(.json(200, ClientKeyTests.answer, headers: ClientKeyTests.organisationLimits))
            }
        }
    }

    private func gateway(
        _ upstream: Upstream, keys: String, environment: [String: String] = [:],
        store: String = ":memory:"
    ) throws -> GatewayHarness {
        try GatewayHarness(
            yaml: """
                listen: 127.0.0.1:0
                admin: { listen: 127.0.0.1:0, token_env: ADMIN_TOKEN, open: true }
                store: { path: "\(store)" }
                upstream:
                  auth: { mode: static, api_key_env: UPSTREAM_KEY }
                  hedge: { enabled: false }
                  regions:
                    - { name: primary, base_url: "http://\(upstream.server.address)" }
                clients:
                  keys:
                \(keys)
                """, environment: ["UPSTREAM_KEY": "sk-org", "ADMIN_TOKEN": "admin"].merging(environment) { $1 })
    }

    private func post(
        _ harness: GatewayHarness, key: String?, bearer: Bool = false, body: String = ClientKeyTests.body()
    )
        async -> ResponseCollector.Result
    {
        var headers: HTTPHeaders = ["content-type": "application/json"]
        if let key { headers.add(bearer ? "authorization" : "x-api-key", bearer ? "Bearer \(key)" : key) }
        return await harness.post(body: body, headers: headers)
    }

    @Test func aKnownKeyGetsInAndOnlyTheOrganisationsCredentialGoesUpstream() async throws {
        let upstream = try Upstream()
        defer { upstream.server.stop() }
        let harness = try gateway(
            upstream,
            keys: """
                    - { name: search, key_env: KEY_SEARCH, requests_per_minute: 600 }
                    - { name: batch, key_sha256: \(Hex.encode(Digest.sha256("ck-batch"))) }
                """, environment: ["KEY_SEARCH": "ck-search"])
        defer { harness.stop() }
        let search = await post(harness, key: "ck-search")
        #expect(search.head?.status == 200)
        // The answer describes the key's own limits, not the organisation's.
        #expect(search.head?.headers["anthropic-ratelimit-requests-limit"] == "600")
        // 599 after this request, refilled at 10 a second since.
        #expect(search.head?.headers["anthropic-ratelimit-requests-remaining"].flatMap { Int($0) }.map { (599...600).contains($0) } == true)
        #expect(search.head?.headers["anthropic-ratelimit-tokens-remaining"] == nil)
        let batch = await post(harness, key: "ck-batch", bearer: true)
        #expect(batch.head?.status == 200)
        #expect(batch.head?.headers["anthropic-ratelimit-requests-limit"] == nil)
        let seen = upstream.seen
        #expect(seen.count == 2)
        #expect(seen.allSatisfy { $0.apiKey == "sk-org" && $0.authorization == nil })
    }

    @Test func aMissingOrUnknownKeyIs401AndNothingGoesUpstream() async throws {
        let upstream = try Upstream()
        defer { upstream.server.stop() }
        let harness = try gateway(
            upstream, keys: "    - { name: search, key_env: KEY_SEARCH }",
            environment: ["KEY_SEARCH": "ck-search"])
        defer { harness.stop() }
        for key in [nil, "ck-wrong", "sk-org", "ck-searc"] {
            let result = await post(harness, key: key)
            #expect(result.head?.status == 401, "\(key ?? "no key")")
            #expect(result.text.contains(#""type":"authentication_error""#))
        }
        #expect(upstream.count == 0)
        let metrics = await harness.get("http://\(harness.gateway.adminAddress)/metrics").text
        #expect(metrics.contains(#"ballast_client_refusals_total{client="none",reason="missing_key"} 1"#))
        #expect(metrics.contains(#"ballast_client_refusals_total{client="none",reason="unknown_key"} 3"#))
    }

    @Test func aModelTheKeyMayNotUseIs403() async throws {
        let upstream = try Upstream()
        defer { upstream.server.stop() }
        let harness = try gateway(
            upstream, keys: #"    - { name: cheap, key_env: K, models: ["claude-haiku-*"] }"#,
            environment: ["K": "ck-cheap"])
        defer { harness.stop() }
        let refused = await post(harness, key: "ck-cheap", body: Self.body(model: "claude-opus-4-1"))
        #expect(refused.head?.status == 403)
        #expect(refused.text.contains(#""type":"permission_error""#))
        #expect(refused.text.contains("claude-opus-4-1"))
        #expect(await post(harness, key: "ck-cheap", body: Self.body(model: "claude-haiku-4-5")).head?.status == 200)
        #expect(upstream.count == 1)
    }

    @Test func aKeyOverItsRateGets429WithItsOwnLimitsWhileAnotherKeyGoesOn() async throws {
        let upstream = try Upstream()
        defer { upstream.server.stop() }
        let harness = try gateway(
            upstream,
            keys: """
                    - { name: small, key_env: K1, requests_per_minute: 1, output_tokens_per_minute: 1000 }
                    - { name: other, key_env: K2, requests_per_minute: 100 }
                """, environment: ["K1": "ck-small", "K2": "ck-other"])
        defer { harness.stop() }
        // One a minute: the bucket holds one, then refills one every 60 s of wall time. The
        // checks allow for the time this test really took (a loaded machine took 49 s).
        let started = Date().timeIntervalSince1970
        #expect(await post(harness, key: "ck-small").head?.status == 200)
        let refused = await post(harness, key: "ck-small")
        let now = Date().timeIntervalSince1970
        let elapsed = now - started
        #expect(refused.head?.status == 429)
        #expect(refused.text.contains(#""type":"rate_limit_error""#))
        #expect(refused.text.contains("'small' is over its requests rate limit (1 per minute)"))
        let headers = refused.head?.headers ?? [:]
        let wait = Double(headers["retry-after-ms"] ?? "").map { $0 / 1000 } ?? 0
        #expect(wait <= 60 && wait >= 60 - elapsed - 0.01)
        #expect(headers["retry-after"] == String(Int(wait.rounded(.up))))
        #expect(headers["anthropic-ratelimit-requests-limit"] == "1")
        #expect(headers["anthropic-ratelimit-requests-remaining"] == "0")
        #expect(headers["anthropic-ratelimit-output-tokens-limit"] == "1000")
        // The answer used 7 output tokens of the 10 charged: 993 or more are left.
        #expect(headers["anthropic-ratelimit-output-tokens-remaining"].flatMap { Int($0) }.map { (993...1000).contains($0) } == true)
        let reset = headers["anthropic-ratelimit-requests-reset"].flatMap { RFC3339Timestamp.parse($0) } ?? 0
        #expect(reset >= started + 59 && reset <= now + 61)
        for _ in 0..<5 { #expect(await post(harness, key: "ck-other").head?.status == 200) }
        #expect(upstream.count == 6)
        let document = await harness.get(
            "http://\(harness.gateway.adminAddress)/control/v1/clients",
            headers: ["authorization": "Bearer admin"]
        ).text
        #expect(document.contains(#""name":"small""#) && document.contains(#""rate_requests":1"#))
        #expect(!document.contains("ck-small") && !document.contains(Hex.encode(Digest.sha256("ck-small"))))
        let page = await harness.get("http://\(harness.gateway.adminAddress)/").text
        #expect(page.contains(#"<table id="clients">"#) && page.contains("<td>small</td><td>1</td><td>1</td>"))
        #expect(!page.contains("ck-small"))
    }

    @Test func aKeyOverItsDailyBudgetGets429NamingTheBudgetAndTheReset() async throws {
        let upstream = try Upstream()
        defer { upstream.server.stop() }
        let harness = try gateway(
            upstream, keys: "    - { name: capped, key_env: K, budget: { tokens_per_day: 20 } }",
            environment: ["K": "ck-capped"])
        defer { harness.stop() }
        // Charged ~30 input (by size) + 10 output at admission, then the real 5 + 7 = 12.
        #expect(await post(harness, key: "ck-capped").head?.status == 200)
        #expect(await post(harness, key: "ck-capped").head?.status == 200)
        let refused = await post(harness, key: "ck-capped")
        #expect(refused.head?.status == 429)
        #expect(refused.text.contains(#""type":"rate_limit_error""#))
        #expect(refused.text.contains("daily budget of 20 tokens"))
        #expect(refused.text.contains("T00:00:00Z (UTC midnight)"))
        #expect(refused.head?.headers["x-should-retry"] == "false")
        #expect(upstream.count == 2)
    }

    @Test func rotatingAKeyOnReloadKeepsTheRequestInFlight() async throws {
        let upstream = try Upstream()
        defer { upstream.server.stop() }
        let old = Hex.encode(Digest.sha256("ck-old"))
        let new = Hex.encode(Digest.sha256("ck-new"))
        let harness = try gateway(upstream, keys: "    - { name: app, key_sha256: \(old) }")
        defer { harness.stop() }
        upstream.setHold(true)
        // Submitted from this task (not an `async let`, whose child task a loaded test run may
        // not schedule in time), answered once the upstream lets it go.
        let inFlight = ResponseCollector()
        harness.client.submit(
            UpstreamRequest(
                url: harness.baseURL + "/v1/messages",
                headers: ["content-type": "application/json", "x-api-key": "ck-old"],
                body: Array(Self.body().utf8)), delegate: inFlight)
        #expect(await eventually { upstream.heldCount == 1 })
        let rotated = try GatewayConfig.parse(
            """
            upstream:
              regions:
                - { name: primary, base_url: "http://\(upstream.server.address)" }
            clients:
              keys:
                - { name: app, key_sha256: \(new) }
            """, file: "reload.yaml")
        #expect(harness.gateway.reloadClients(rotated.clients, environment: [:]) == "clients: 1 key(s) loaded (app)")
        upstream.setHold(false)
        #expect(await post(harness, key: "ck-old").head?.status == 401)
        #expect(await post(harness, key: "ck-new").head?.status == 200)
        upstream.release()
        #expect(await inFlight.result().head?.status == 200)
    }

    @Test func theControlAPIReloadsTheKeysFromTheFileAllOrNothingAndAuditsIt() async throws {
        let upstream = try Upstream()
        defer { upstream.server.stop() }
        let directory = try TemporaryDirectory("ballast-client-reload")
        defer { directory.remove() }
        let path = directory.path("ballast.yaml")
        func write(_ hash: String) throws {
            try """
            listen: 127.0.0.1:0
            admin: { listen: 127.0.0.1:0, token_env: ADMIN_TOKEN }
            store: { path: "\(directory.path("ballast.db"))" }
            upstream:
              auth: { mode: static, api_key_env: UPSTREAM_KEY }
              regions:
                - { name: primary, base_url: "http://\(upstream.server.address)" }
            clients:
              keys:
                - { name: app, key_sha256: \(hash) }
            """.write(toFile: path, atomically: true, encoding: .utf8)
        }
        try write(Hex.encode(Digest.sha256("ck-old")))
        let gateway = try GatewayService(
            config: try GatewayConfig.load(path: path),
            environment: ["UPSTREAM_KEY": "sk-org", "ADMIN_TOKEN": "admin"], configPath: path)
        try gateway.start()
        let harness = GatewayHarness(gateway: gateway)
        defer { harness.stop() }
        let admin = "http://\(gateway.adminAddress)/control/v1/clients/reload"
        func reload() async -> ResponseCollector.Result {
            let collector = ResponseCollector()
            harness.client.submit(
                UpstreamRequest(
                    url: admin,
                    headers: [
                        "authorization": "Bearer admin",
                        "content-type": "application/json",
                    ],
                    body: Array(#"{"reason":"rotate app's key"}"#.utf8)), delegate: collector)
            return await collector.result()
        }
        #expect(await post(harness, key: "ck-old").head?.status == 200)
        try write(Hex.encode(Digest.sha256("ck-new")))
        let done = await reload()
        #expect(done.head?.status == 200)
        #expect(done.text.contains(#""clients":["app"]"#))
        #expect(await post(harness, key: "ck-old").head?.status == 401)
        #expect(await post(harness, key: "ck-new").head?.status == 200)
        // A file with a mistake changes nothing.
        try "clients: { keys: [{ name: app, key: ck-leaked }] }\n".write(toFile: path, atomically: true, encoding: .utf8)
        let refused = await reload()
        #expect(refused.head?.status == 422)
        #expect(refused.text.contains("never put a client key in the config file"))
        #expect(!refused.text.contains("ck-leaked"))
        #expect(await post(harness, key: "ck-new").head?.status == 200)
        gateway.flushTelemetry()
        let store = try TelemetryStore(path: directory.path("ballast.db"))
        #expect(try store.scalar("SELECT count(*) FROM audit WHERE kind = 'clients_reloaded' AND action = 'reloaded' AND reason LIKE 'rotate%'") == "1")
        #expect(try store.scalar("SELECT count(*) FROM audit WHERE kind = 'clients_reloaded' AND action = 'refused'") == "1")
    }

    @Test func theStoreKeepsTheKeysName() async throws {
        let upstream = try Upstream()
        defer { upstream.server.stop() }
        let directory = try TemporaryDirectory("ballast-client")
        defer { directory.remove() }
        let path = directory.path("ballast.db")
        let harness = try gateway(
            upstream, keys: "    - { name: search, key_env: K }", environment: ["K": "ck-search"],
            store: path)
        #expect(await post(harness, key: "ck-search").head?.status == 200)
        harness.gateway.flushTelemetry()
        harness.stop()
        let store = try TelemetryStore(path: path)
        #expect(try store.scalar("SELECT client FROM requests") == "search")
    }
}
