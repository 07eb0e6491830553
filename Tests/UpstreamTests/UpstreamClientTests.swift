import BallastCore
import Dispatch
import HTTPServer
import Synchronization
import Testing
import Upstream
import BallastTesting

/// The libcurl client against a real libmicrohttpd server on a loopback port.
@Suite struct UpstreamClientTests {
    private func makeServer(_ body: @escaping @Sendable (HTTPRequest, HTTPResponder) -> Void) throws -> HTTPServer {
        let server = HTTPServer(configuration: HTTPServerConfiguration(port: 0), handler: ClosureHTTPHandler(body))
        try server.start()
        return server
    }

    @Test func postsAndReadsAResponse() async throws {
        let server = try makeServer { request, responder in
            var headers = HTTPHeaders()
            headers.add("x-echo-method", request.method)
            headers.add("x-echo-version", request.headers["anthropic-version"] ?? "-")
            responder.respond(HTTPResponse(status: 201, headers: headers, body: .bytes(request.body)))
        }
        defer { server.stop() }
        let client = UpstreamClient()
        client.start()
        defer { client.shutdown() }
        let collector = ResponseCollector()
        client.submit(
            UpstreamRequest(
                url: "http://\(server.address)/v1/messages",
                headers: ["anthropic-version": "2023-06-01", "content-type": "application/json"],
                body: Array(#"{"hello":"world"}"#.utf8)), delegate: collector)
        let result = await collector.result()
        #expect(result.completion.error == nil)
        #expect(result.head?.status == 201)
        #expect(result.head?.headers["x-echo-method"] == "POST")
        #expect(result.head?.headers["x-echo-version"] == "2023-06-01")
        #expect(result.text == #"{"hello":"world"}"#)
        #expect(result.completion.timeToFirstByte != nil)
    }

    @Test func headerLinesAreReadWhateverTheirCaseAndSpacing() async throws {
        let server = try RawHTTPServer(
            response: "HTTP/1.1 100 Continue\r\n\r\n"
                + "HTTP/1.1 429 Too Many Requests\r\nRetry-After:\t 7 \t\r\nX-Odd-CASE: a:b: c\r\nX-Empty:\r\n"
                + "Content-Length: 2\r\nConnection: close\r\n\r\nno")
        defer { server.stop() }
        let client = UpstreamClient()
        client.start()
        defer { client.shutdown() }
        let collector = ResponseCollector()
        client.submit(UpstreamRequest(url: "http://127.0.0.1:\(server.port)/v1/messages", body: Array("{}".utf8)), delegate: collector)
        let result = await collector.result()
        #expect(result.head?.status == 429)
        #expect(result.head?.headers["retry-after"] == "7")
        #expect(result.head?.headers["x-odd-case"] == "a:b: c")
        #expect(result.head?.headers["x-empty"] == "")
        #expect(result.head?.headers.fields.first?.name == "retry-after")
        #expect(result.text == "no")
    }

    @Test func reusesConnectionsAcrossCalls() async throws {
        let server = try makeServer { _, responder in responder.respond(HTTPResponse(status: 200, text: "ok")) }
        defer { server.stop() }
        let client = UpstreamClient()
        client.start()
        defer { client.shutdown() }
        for _ in 0..<20 {
            let collector = ResponseCollector()
            client.submit(UpstreamRequest(method: "GET", url: "http://\(server.address)/"), delegate: collector)
            let result = await collector.result()
            #expect(result.text == "ok")
        }
        #expect(client.connectionsOpenedTotal == 1)
    }

    @Test func refusedConnectionIsAConnectFailure() async throws {
        // Bind a port, then free it, so nothing listens there.
        let server = try makeServer { _, responder in responder.respond(HTTPResponse(status: 200)) }
        let address = server.address
        server.stop()
        let client = UpstreamClient()
        client.start()
        defer { client.shutdown() }
        let collector = ResponseCollector()
        client.submit(UpstreamRequest(url: "http://\(address)/"), delegate: collector)
        let result = await collector.result()
        #expect(result.completion.error?.requestNeverSent == true)
        #expect(result.head == nil)
    }

    @Test func firstByteTimeoutFires() async throws {
        let server = try makeServer { _, responder in
            DispatchQueue.global().asyncAfter(deadline: .now() + 2) {
                responder.respond(HTTPResponse(status: 200, text: "late"))
            }
        }
        defer { server.stop() }
        let client = UpstreamClient()
        client.start()
        defer { client.shutdown() }
        let collector = ResponseCollector()
        client.submit(
            UpstreamRequest(
                url: "http://\(server.address)/",
                timeouts: UpstreamTimeouts(connect: 1, firstByte: 0.2, idle: 5, total: 10)),
            delegate: collector)
        let result = await collector.result()
        #expect(result.completion.error == .firstByteTimeout)
    }

    @Test func cancelStopsATransfer() async throws {
        let server = try makeServer { _, _ in }  // never answers
        defer { server.stop(gracePeriod: 0) }
        let client = UpstreamClient()
        client.start()
        defer { client.shutdown() }
        let collector = ResponseCollector()
        let transfer = client.submit(UpstreamRequest(url: "http://\(server.address)/"), delegate: collector)
        transfer.cancel()
        let result = await collector.result()
        #expect(result.completion.error == .cancelled)
        #expect(client.activeTransfers == 0)
    }

    @Test func pausedTransferDeliversEveryByteAfterResume() async throws {
        // 16 MiB: far more than the loopback socket buffers hold for a reader that stopped
        // (the server's send buffer is 128 KiB, the receiver's grows only as it reads).
        let pattern = (0..<251).map { UInt8($0) }
        var payload: [UInt8] = []
        payload.reserveCapacity(16 << 20)
        while payload.count < 16 << 20 { payload.append(contentsOf: pattern.prefix((16 << 20) - payload.count)) }
        let server = try CountingHTTPServer(body: payload)
        defer { server.stop() }
        let client = UpstreamClient()
        client.start()
        defer { client.shutdown() }
        let collector = ResponseCollector(refuseChunks: 1)
        let transfer = client.submit(UpstreamRequest(method: "GET", url: "http://127.0.0.1:\(server.port)/"), delegate: collector)

        // Paused: the server's writer blocks short of the body (nobody reads the socket), the
        // one refused chunk is all the collector was offered, and the transfer is not over.
        #expect(server.stalls(quiet: 0.3, within: 20), "the server never stopped sending")
        #expect(server.sent < payload.count, "the whole body left the server while the transfer was paused")
        #expect(collector.chunksOffered == 1, "bytes were offered again while paused")
        #expect(collector.bytesKept == 0)
        #expect(client.activeTransfers == 1)

        transfer.resume()
        let result = await collector.result()
        #expect(result.completion.error == nil)
        #expect(result.body == payload)
        #expect(server.sent == payload.count)
    }

    @Test func timersFireInOrderOnTheLoopAndCancelledOnesNever() async throws {
        let client = UpstreamClient()
        client.start()
        defer { client.shutdown() }
        let fired = Mutex<[Int]>([])
        let done = ResponseCollector()
        client.schedule(after: 0.03) { fired.withLock { $0.append(3) } }
        client.schedule(after: 0.01) { fired.withLock { $0.append(1) } }
        let cancelled = client.schedule(after: 0.02) { fired.withLock { $0.append(2) } }
        cancelled.cancel()
        client.execute { fired.withLock { $0.append(0) } }
        client.schedule(after: 0.05) {
            done.upstreamDidComplete(
                UpstreamCompletion(
                    error: nil, timeToFirstByte: nil, duration: 0, bytesReceived: 0,
                    connectionsOpened: 0))
        }
        _ = await done.result()
        #expect(fired.withLock { $0 } == [0, 1, 3])
    }
}
