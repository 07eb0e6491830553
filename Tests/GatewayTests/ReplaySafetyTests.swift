import BallastCore
import Foundation
import HTTPServer
import Synchronization
import Resilience
import Testing
@testable import Gateway
@testable import Proxy
import BallastTesting
import Upstream

/// Writes that create something upstream (a batch, a file) reach it at most once, whatever
/// retries, hedges and libcurl's own re-sends would do; `POST /v1/messages` keeps them all, and
/// every copy it sends is counted as an attempt.
@Suite struct ReplaySafetyTests {
    static let message = #"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"hi"}]}"#
    static let headers: HTTPHeaders = ["content-type": "application/json", "x-api-key": "k"]

    private func gateway(_ regions: [String], hedge: String = "{ enabled: false }") throws -> GatewayHarness {
        try GatewayHarness(
            yaml: """
                listen: 127.0.0.1:0
                admin: { listen: 127.0.0.1:0 }
                store: { path: ":memory:" }
                upstream:
                  auth: { mode: passthrough }
                  hedge: \(hedge)
                  retry: { max_attempts: 3 }
                  regions:
                \(regions.enumerated().map { "    - { name: r\($0.offset), base_url: \"http://\($0.element)\", weight: 50 }" }.joined(separator: "\n"))
                """)
    }

    private func metric(_ harness: GatewayHarness, _ prefix: String) async -> Int {
        let text = await harness.get("http://\(harness.gateway.adminAddress)/metrics").text
        return text.split(separator: "\n").filter { $0.hasPrefix(prefix) }
            .compactMap { $0.split(separator: " ").last.flatMap { Double($0) } }.reduce(0) { $0 + Int($1) }
    }

    @Test func onlyTheWritesThatCreateNothingAreReplayable() {
        for (method, path) in [
            ("POST", "/v1/messages"), ("POST", "/v1/messages/count_tokens"), ("GET", "/v1/files/file_1"),
            ("GET", "/v1/messages/batches/msgbatch_1/results"), ("HEAD", "/v1/models"),
        ] {
            #expect(ReplaySafety.of(method: method, path: path) == .replayable, "\(method) \(path)")
        }
        for (method, path) in [
            ("POST", "/v1/messages/batches"), ("POST", "/v1/files"), ("POST", "/v1/messages/batches/b/cancel"),
            ("DELETE", "/v1/files/file_1"), ("POST", "/v1/skills"), ("PUT", "/v1/messages"), ("POST", "/v1/messages/"),
        ] {
            #expect(ReplaySafety.of(method: method, path: path) == .once, "\(method) \(path)")
        }
        let refused = Failure(outcome: .local, retryable: true, transport: .connectFailed, requestNeverSent: true)
        let lost = Failure(outcome: .local, retryable: true, transport: .connectionLost)
        let overloaded = Failure(outcome: .upstream, retryable: true, status: 529)
        #expect(ReplaySafety.once.mayRepeat(after: refused))
        #expect(!ReplaySafety.once.mayRepeat(after: lost) && !ReplaySafety.once.mayRepeat(after: overloaded))
        #expect(ReplaySafety.replayable.mayRepeat(after: lost) && ReplaySafety.replayable.mayRepeat(after: overloaded))
        #expect(!ReplaySafety.once.mayHedge && ReplaySafety.replayable.mayHedge)
    }

    @Test func aWriteWhoseConnectionDiesAfterSendingIsNotSentAgain() async throws {
        // Two regions on one upstream that reads every batch and file creation and hangs up.
        let upstream = try RawUpstream { arrival in
            arrival.path == "/v1/messages" ? .answer(#"{"id":"msg_1","type":"message"}"#) : .close
        }
        defer { upstream.stop() }
        let harness = try gateway([upstream.address, upstream.address])
        defer { harness.stop() }
        #expect(await harness.post(body: Self.message, headers: Self.headers).head?.status == 200)

        for path in ["/v1/files", "/v1/messages/batches"] {
            let result = await harness.post(path, body: #"{"requests":[]}"#, headers: Self.headers)
            #expect(result.head?.status == 502, "\(path): \(result.text)")
            #expect(result.text.contains("api_error"))
            #expect(result.text.contains("not retried"), "the error must say why it was not retried: \(result.text)")
            #expect(result.head?.headers["x-ballast-attempts"] == "1")
            #expect(upstream.count("POST", path) == 1, "\(path) arrived \(upstream.count("POST", path)) times")
        }
        #expect(await metric(harness, "ballast_retries_withheld_total") == 2)
    }

    @Test func theMessagesPathIsStillRetriedAndEveryCopyCounted() async throws {
        let upstream = try RawUpstream { _ in .close }
        defer { upstream.stop() }
        let harness = try gateway([upstream.address, upstream.address])
        defer { harness.stop() }
        let result = await harness.post(body: Self.message, headers: Self.headers)
        #expect(result.head?.status == 502)
        let attempts = Int(result.head?.headers["x-ballast-attempts"] ?? "") ?? 0
        #expect(attempts >= 3, "POST /v1/messages is retried: \(attempts) attempts")
        #expect(upstream.count("POST", "/v1/messages") == attempts, "every copy that reached the upstream is an attempt")
    }

    @Test func libcurlsOwnResendIsCountedAndNeverHappensToAWrite() async throws {
        // Each connection answers its first request and hangs up on the next one after reading
        // it: libcurl then sends that request again on a new connection by itself.
        let upstream = try RawUpstream { arrival in
            arrival.indexOnConnection == 0 ? .answer(#"{"id":"x_1","type":"message"}"#) : .close
        }
        defer { upstream.stop() }
        let harness = try gateway([upstream.address])
        defer { harness.stop() }
        #expect(await harness.post(body: Self.message, headers: Self.headers).head?.status == 200)  // pools a connection
        let resent = await harness.post(body: Self.message, headers: Self.headers)
        #expect(resent.head?.status == 200)
        #expect(upstream.count("POST", "/v1/messages") == 3, "arrivals: \(upstream.seen)")
        #expect(resent.head?.headers["x-ballast-attempts"] == "2", "libcurl's re-send is an attempt")
        #expect(await metric(harness, "ballast_upstream_silent_resends_total") == 1)

        // A file upload goes on a connection of its own, which libcurl never re-sends on.
        #expect(await harness.post(body: Self.message, headers: Self.headers).head?.status == 200)  // pools one again
        let file = await harness.post("/v1/files", body: "{}", headers: Self.headers)
        #expect(file.head?.status == 200, "\(file.text)")
        #expect(upstream.count("POST", "/v1/files") == 1, "arrivals: \(upstream.seen)")
        #expect(upstream.seen.last == RawUpstream.Arrival(method: "POST", path: "/v1/files", indexOnConnection: 0))
    }

    @Test func theClientsIdempotencyKeyReachesTheUpstream() async throws {
        let seen = Mutex<[String]>([])
        let upstream = try startUpstream { request, responder in
            seen.withLock { $0.append(request.headers["idempotency-key"] ?? "-") }
            responder.respond(.json(200, #"{"id":"file_1","type":"file"}"#))
        }
        defer { upstream.stop() }
        let harness = try gateway([upstream.address])
        defer { harness.stop() }
        var headers = Self.headers
        headers.add("idempotency-key", "upload-7f3a")
        #expect(await harness.post("/v1/files", body: "{}", headers: headers).head?.status == 200)
        #expect(seen.withLock { $0 } == ["upload-7f3a"])
    }

    @Test func aSlowWriteIsNotHedgedWhileASlowMessageIs() async throws {
        let arrivals = Arrivals()
        let handler: @Sendable (HTTPRequest, HTTPResponder) -> Void = { request, responder in
            let slow = String(decoding: request.body, as: UTF8.self).contains("slow")
            if slow {
                // The first copy of a slow request answers only once a second copy arrived
                // (a hedge), or after 3 s without one: a condition, not a race with the hedge
                // timer, however loaded the machine.
                let copies = arrivals.add(request.path)
                if copies == 1 { arrivals.waitForSecond(request.path, seconds: 3) }
            }
            responder.respond(.json(200, #"{"id":"x_1","type":"message"}"#))
        }
        let east = try startUpstream(handler)
        let west = try startUpstream(handler)
        defer {
            east.stop()
            west.stop()
        }
        let harness = try gateway(
            [east.address, west.address],
            hedge: "{ min_samples: 1, quantile: 0.5, max_extra_ratio: 1.0 }")
        defer { harness.stop() }
        for _ in 0..<6 {
            _ = await harness.post(body: Self.message, headers: Self.headers)
            _ = await harness.post("/v1/files", body: #"{"fast":1}"#, headers: Self.headers)
        }
        let slowMessage = #"{"model":"m","max_tokens":5,"messages":[{"role":"user","content":"slow"}]}"#
        #expect(await harness.post(body: slowMessage, headers: Self.headers).head?.status == 200)
        #expect(await harness.post("/v1/files", body: #"{"slow":1}"#, headers: Self.headers).head?.status == 200)
        #expect(await harness.post("/v1/messages/batches", body: #"{"slow":1}"#, headers: Self.headers).head?.status == 200)
        #expect(arrivals.count("/v1/messages") == 2, "the slow message is hedged")
        #expect(arrivals.count("/v1/files") == 1, "the slow upload is sent once")
        #expect(arrivals.count("/v1/messages/batches") == 1, "the slow batch is created once")
    }
}

/// Copies of slow requests seen by the test upstreams, per path.
private final class Arrivals: Sendable {
    private let counts = Mutex<[String: Int]>([:])

    func add(_ path: String) -> Int {
        counts.withLock {
            $0[path, default: 0] += 1
            return $0[path]!
        }
    }
    func count(_ path: String) -> Int { counts.withLock { $0[path, default: 0] } }

    func waitForSecond(_ path: String, seconds: Double) {
        let deadline = Date().addingTimeInterval(seconds)
        while count(path) < 2, Date() < deadline { usleep(5_000) }
    }
}
