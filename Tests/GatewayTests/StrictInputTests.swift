import BallastConfig
import BallastCore
import BallastTesting
import Foundation
import Gateway
import HTTPServer
import Synchronization
import Testing
import Upstream

/// Issue 15's probes, each sent as an attacker would: raw bytes on a socket (no client-side
/// path normalisation), malformed framing, slow senders, lying upstreams.
@Suite struct StrictInputTests {
    static let message = #"{"model":"claude-sonnet-4-6","max_tokens":16,"messages":[{"role":"user","content":"hi"}]}"#

    /// A Ballast in static mode (the organisation's key is at stake) with small, quick limits.
    static func gateway(upstream: HTTPServer, server: String = "") throws -> GatewayHarness {
        try GatewayHarness(
            yaml: """
                listen: 127.0.0.1:0
                admin: { listen: 127.0.0.1:0 }
                store: { path: ":memory:" }
                server: { max_body: 64KiB, header_timeout: 0.5s, body_idle_timeout: 0.5s, max_json_depth: 8\(server) }
                rules: { paths: [] }
                upstream:
                  auth: { mode: static, api_key_env: TEST_KEY }
                  hedge: { enabled: false }
                  regions:
                    - { name: primary, base_url: "http://\(upstream.address)" }
                """, environment: ["TEST_KEY": "sk-organisation"])
    }

    /// What reached the upstream, as "METHOD raw-path".
    final class CallLog: Sendable {
        private let entries = Mutex<[String]>([])
        func append(_ entry: String) { entries.withLock { $0.append(entry) } }
        var all: [String] { entries.withLock { $0 } }
    }

    static func countingUpstream(_ calls: CallLog) throws -> HTTPServer {
        try startUpstream { request, responder in
            calls.append(request.method + " " + request.rawPath)
            responder.respond(.json(200, #"{"id":"msg_1","type":"message","usage":{"input_tokens":1,"output_tokens":1}}"#))
        }
    }

    static func refused(_ harness: GatewayHarness, _ reason: String, listener: String = "proxy") async -> Int? {
        let metrics = await harness.get("http://\(harness.gateway.adminAddress)/metrics")
        let prefix = #"ballast_requests_refused_total{listener="\#(listener)",reason="\#(reason)"} "#
        return metrics.text.split(separator: "\n").first { $0.hasPrefix(prefix) }.flatMap { Int($0.dropFirst(prefix.count)) }
    }

    @Test(arguments: [
        "/v1/../v1/organizations/../../api/keys", "/v1/..%2f..%2fx", "/v1/%2e%2e/x", "/v1/%2E%2E/x", "/v1/./messages",
        "/v1/a\\..\\..\\api", "/v1/a%5cb", "/v1//api/keys", "/v1/%2fapi",
    ])
    func pathEscapesAreRefusedAndNeverForwarded(path: String) async throws {
        let calls = CallLog()
        let upstream = try Self.countingUpstream(calls)
        defer { upstream.stop() }
        let harness = try Self.gateway(upstream: upstream)
        defer { harness.stop() }

        let reply = await RawClient.exchange(
            harness.gateway.proxyAddress,
            "GET \(path) HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(reply.status == 400, "\(path): \(reply.text)")
        #expect(reply.body.contains(#""type":"error","error":{"type":"invalid_request_error""#), "\(reply.body)")
        #expect(calls.all.isEmpty, "\(path) reached the upstream: \(calls.all)")
        #expect(await Self.refused(harness, "invalid_path") == 1)
    }

    @Test func aCleanPathIsForwardedExactlyAsSent() async throws {
        let calls = CallLog()
        let upstream = try Self.countingUpstream(calls)
        defer { upstream.stop() }
        let harness = try Self.gateway(upstream: upstream)
        defer { harness.stop() }

        let reply = await RawClient.exchange(
            harness.gateway.proxyAddress,
            "GET /v1/files/file%5F01?limit=2 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        #expect(reply.status == 200, "\(reply.text)")
        #expect(calls.all == ["GET /v1/files/file%5F01"])
    }

    @Test(arguments: [
        (#"{"model":"claude-haiku-4-5","max_tokens":16,"messages":[],"model":"claude-opus-4-1"}"#, "top-level key 'model' more than once"),
        (#"{"model":"a","\u006dodel":"b","max_tokens":16,"messages":[]}"#, "top-level key 'model' more than once"),
        (#"{"model":"m","max_tokens":16,"messages":[[[[[[[[["deep"]]]]]]]]]}"#, "nests deeper than 8 levels"),
    ])
    func malformedMessagesBodiesAreRefusedByName(body: String, problem: String) async throws {
        let calls = CallLog()
        let upstream = try Self.countingUpstream(calls)
        defer { upstream.stop() }
        let harness = try Self.gateway(upstream: upstream)
        defer { harness.stop() }

        let result = await harness.post(body: body)
        #expect(result.head?.status == 400)
        #expect(result.text.contains(#""type":"invalid_request_error""#))
        #expect(result.text.contains(problem), "\(result.text)")
        #expect(calls.all.isEmpty)
    }

    @Test func invalidUTF8IsRefusedNotForwarded() async throws {
        let calls = CallLog()
        let upstream = try Self.countingUpstream(calls)
        defer { upstream.stop() }
        let harness = try Self.gateway(upstream: upstream)
        defer { harness.stop() }

        var body = Array(#"{"model":"m","max_tokens":16,"messages":[{"role":"user","content":"#.utf8)
        body += [0x22, 0xC3, 0x28, 0xFF, 0x22] + Array("}]}".utf8)
        let collector = ResponseCollector()
        harness.client.submit(
            UpstreamRequest(
                url: harness.baseURL + "/v1/messages", headers: ["content-type": "application/json"],
                body: body), delegate: collector)
        let result = await collector.result()
        #expect(result.head?.status == 400)
        #expect(result.text.contains("not valid UTF-8"), "\(result.text)")
        #expect(calls.all.isEmpty)
        #expect(await Self.refused(harness, "body_invalid_utf8") == 1)
    }

    @Test func aHugeDeclaredBodyIsRefusedAtOnceOnBothListeners() async throws {
        let calls = CallLog()
        let upstream = try Self.countingUpstream(calls)
        defer { upstream.stop() }
        let harness = try Self.gateway(upstream: upstream)
        defer { harness.stop() }

        // Only the head is sent: an answer must come without the body (10^12 bytes never will).
        let proxy = await RawClient.exchange(
            harness.gateway.proxyAddress,
            "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 1000000000000\r\n\r\n")
        #expect(proxy.status == 413, "\(proxy.text)")
        #expect(proxy.body.contains(#""type":"error","error":{"type":"request_too_large""#), "\(proxy.body)")
        #expect(proxy.closedAfter != nil)
        // The admin listener reads at most 1 MiB: 20 MB is refused before any route sees it
        // (it used to be read whole and answered "'reason' is required").
        let admin = await RawClient.exchange(
            harness.gateway.adminAddress,
            "POST /control/v1/regions/primary/drain HTTP/1.1\r\nHost: x\r\nContent-Length: 20000000\r\n\r\n")
        #expect(admin.status == 413, "\(admin.text)")
        #expect(admin.body.contains("request_too_large"))
        #expect(calls.all.isEmpty)
        #expect(await Self.refused(harness, "body_too_large") == 1)
        #expect(await Self.refused(harness, "body_too_large", listener: "admin") == 1)
    }

    @Test func anEndlessChunkIsRefusedOnceItPassesMaxBody() async throws {
        let calls = CallLog()
        let upstream = try Self.countingUpstream(calls)
        defer { upstream.stop() }
        let harness = try Self.gateway(upstream: upstream)
        defer { harness.stop() }

        // A chunk of 2^60 bytes announced, 96 KiB of it sent (max_body is 64 KiB), then the
        // client waits: the answer must come now, not after the chunk.
        let head = Array("POST /v1/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFF\r\n".utf8)
        let reply = await RawClient.exchange(
            harness.gateway.proxyAddress,
            parts: [head, [UInt8](repeating: 0x61, count: 96 * 1024)], deadline: 10)
        #expect(reply.status == 413, "\(reply.text.prefix(300))")
        #expect(reply.body.contains("request_too_large"))
        let closed = try #require(reply.closedAfter)
        #expect(closed < 5)
        #expect(calls.all.isEmpty)
    }

    @Test func headersTricklingPastTheHeaderTimeoutAreCut() async throws {
        let calls = CallLog()
        let upstream = try Self.countingUpstream(calls)
        defer { upstream.stop() }
        let harness = try Self.gateway(upstream: upstream)
        defer { harness.stop() }

        // One header byte every 0.2 s never leaves the connection idle; the 0.5 s header
        // deadline must cut it all the same (50 bytes would take 10 s).
        let parts = [Array("GET /v1/models HTTP/1.1\r\nX-Slow: ".utf8)] + (0..<50).map { _ in [UInt8(ascii: "a")] }
        let reply = await RawClient.exchange(harness.gateway.proxyAddress, parts: parts, pause: 0.2, deadline: 15)
        let closed = try #require(reply.closedAfter, "still open after 15 s")
        #expect(closed >= 0.5)
        #expect(closed < 8)
        #expect(calls.all.isEmpty)
        #expect(await Self.refused(harness, "header_timeout") == 1)
    }

    @Test func aStalledBodyIsCutAfterTheBodyIdleTimeout() async throws {
        let calls = CallLog()
        let upstream = try Self.countingUpstream(calls)
        defer { upstream.stop() }
        let harness = try Self.gateway(upstream: upstream)
        defer { harness.stop() }

        let reply = await RawClient.exchange(
            harness.gateway.proxyAddress,
            "POST /v1/messages HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n{\"model\":", deadline: 15)
        let closed = try #require(reply.closedAfter, "still open after 15 s")
        #expect(closed >= 0.5)
        #expect(closed < 8)
        #expect(calls.all.isEmpty)
        #expect(await Self.refused(harness, "body_idle_timeout") == 1)
    }

    @Test func aKeptAliveConnectionServesSeveralRequestsWithinTheDeadlines() async throws {
        let calls = CallLog()
        let upstream = try Self.countingUpstream(calls)
        defer { upstream.stop() }
        let harness = try Self.gateway(upstream: upstream)
        defer { harness.stop() }

        // Three requests 0.3 s apart on one connection: 0.9 s in all, past the 0.5 s header
        // timeout, but each request's headers arrive at once.
        let request = Array("GET /v1/models HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        let reply = await RawClient.exchange(
            harness.gateway.proxyAddress, parts: [request, request, request], pause: 0.3,
            deadline: 1.2)
        #expect(reply.text.components(separatedBy: "HTTP/1.1 200").count - 1 == 3, "\(reply.text)")
    }

    /// libmicrohttpd answers these itself, before any Ballast code runs, and 0.9.75 has no way
    /// to replace its HTML pages (see docs/configuration.md, "Input limits"). What Ballast can
    /// promise is the status and a prompt close; these guard that.
    @Test func whatLibmicrohttpdRefusesItselfIsRefusedPromptly() async throws {
        let calls = CallLog()
        let upstream = try Self.countingUpstream(calls)
        defer { upstream.stop() }
        let harness = try Self.gateway(upstream: upstream)
        defer { harness.stop() }
        let address = harness.gateway.proxyAddress

        let manyHeaders = "GET /v1/models HTTP/1.1\r\nHost: x\r\n" + (0..<10_000).map { "h\($0): v\r\n" }.joined() + "\r\n"
        let many = await RawClient.exchange(address, manyHeaders)
        #expect(many.status == 431)
        let big = await RawClient.exchange(address, "GET /v1/models HTTP/1.1\r\nHost: x\r\nX-Big: " + String(repeating: "a", count: 1_000_000) + "\r\n\r\n")
        #expect(big.status == 431)
        let badChunk = await RawClient.exchange(address, "POST /v1/messages HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\nabc\r\n0\r\n\r\n")
        #expect(badChunk.status == 400)
        for reply in [many, big, badChunk] { #expect(reply.closedAfter.map { $0 < 5 } == true) }
        #expect(calls.all.isEmpty)
    }

    @Test func aStreamThatIsNotSSEEndsInAnErrorEvent() async throws {
        // 1 MB labelled text/event-stream with no newline at all.
        let upstream = try startUpstream { _, responder in
            let stream = ResponseStream(capacity: 4 * 1024 * 1024)
            responder.respond(HTTPResponse(status: 200, headers: ["content-type": "text/event-stream"], body: .stream(stream)))
            stream.write([UInt8](repeating: 0x78, count: 1_000_000))
            stream.finish()
        }
        defer { upstream.stop() }
        let harness = try Self.gateway(upstream: upstream)
        defer { harness.stop() }

        let result = await harness.post(body: #"{"model":"m","max_tokens":16,"stream":true,"messages":[]}"#)
        #expect(result.head?.status == 200)
        #expect(result.text.hasPrefix("event: error\ndata: {\"type\":\"error\",\"error\":{\"type\":\"api_error\""), "\(result.text.prefix(200))")
        #expect(!result.text.contains("xxxx"))
        #expect(result.text.utf8.count < 1024)
        let refusals = await Self.refused(harness, "stream_not_sse")
        #expect(refusals == 1)
    }

    @Test func aRealStreamIsRelayedWhole() async throws {
        let event =
            "event: content_block_delta\ndata: {\"type\":\"content_block_delta\",\"index\":0,\"delta\":{\"type\":\"text_delta\",\"text\":\""
            + String(repeating: "y", count: 1000) + "\"}}\n\n"
        let upstream = try startUpstream { _, responder in
            let stream = ResponseStream(capacity: 4 * 1024 * 1024)
            responder.respond(HTTPResponse(status: 200, headers: ["content-type": "text/event-stream"], body: .stream(stream)))
            stream.write(String(repeating: event, count: 300))
            stream.write("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n")
            stream.finish()
        }
        defer { upstream.stop() }
        let harness = try Self.gateway(upstream: upstream)
        defer { harness.stop() }

        let result = await harness.post(body: #"{"model":"m","max_tokens":16,"stream":true,"messages":[]}"#)
        #expect(result.head?.status == 200)
        #expect(result.text.hasSuffix("event: message_stop\ndata: {\"type\":\"message_stop\"}\n\n"))
        #expect(!result.text.contains("event: error"))
    }
}
