import Foundation
import HTTPServer
import Synchronization
import Testing
import Upstream
#if canImport(Glibc)
import Glibc
#endif

/// The listen socket is the server's own (`Listener`, which hands connections to
/// libmicrohttpd): what MHD's own listen socket did, it must do too.
@Suite struct HTTPServerListenerTests {
    private static let handler = ClosureHTTPHandler { _, responder in
        responder.respond(HTTPResponse(status: 200, text: "ok"))
    }

    @Test func servesOnIPv6Loopback() async throws {
        let server = HTTPServer(configuration: HTTPServerConfiguration(host: "::1", port: 0), handler: Self.handler)
        try server.start()
        defer { server.stop() }
        #expect(server.address == "[::1]:\(server.port)")
        let client = UpstreamClient()
        client.start()
        defer { client.shutdown() }
        let delegate = CollectingDelegate()
        client.submit(
            UpstreamRequest(method: "GET", url: "http://\(server.address)/", timeouts: UpstreamTimeouts(connect: 2, firstByte: 5)),
            delegate: delegate)
        let answer = await delegate.result()
        #expect(answer.status == 200)
        #expect(answer.text == "ok")
    }

    /// A port another listener holds: `start` throws, says why, and leaves nothing running.
    @Test func startOnATakenPortThrows() throws {
        let first = HTTPServer(configuration: HTTPServerConfiguration(port: 0), handler: Self.handler)
        try first.start()
        defer { first.stop() }
        let second = HTTPServer(configuration: HTTPServerConfiguration(port: first.port), handler: Self.handler)
        let error = #expect(throws: HTTPServerError.self) { try second.start() }
        #expect(error.map { "\($0)" } == "cannot listen on 127.0.0.1:\(first.port) (address already in use)")
        second.stop()  // nothing to stop
        #expect(RawClient.get(port: first.port, timeout: 5) == .answered(status: 200, body: "ok", closes: true))
    }

    /// At the connection limit a new connection waits in the listen backlog (it is not
    /// accepted and closed) and is served once a connection closes.
    @Test func atTheConnectionLimitNewConnectionsWait() throws {
        var configuration = HTTPServerConfiguration(port: 0, threads: 1)
        configuration.connectionLimit = 2
        let server = HTTPServer(configuration: configuration, handler: Self.handler)
        try server.start()
        defer { server.stop() }
        let port = server.port
        let idle = (0..<2).map { _ in RawClient.open(port: port) }
        #expect(idle.allSatisfy { $0 >= 0 })
        usleep(200_000)  // both taken in by the daemon

        let third = Mutex<RawClient.Outcome?>(nil)
        let answered = DispatchSemaphore(value: 0)
        Thread.detachNewThread {
            let outcome = RawClient.get(port: port, timeout: 10)
            third.withLock { $0 = outcome }
            answered.signal()
        }
        #expect(answered.wait(timeout: .now() + 0.5) == .timedOut, "served over the limit: \(String(describing: third.withLock { $0 }))")
        close(idle[0])
        #expect(answered.wait(timeout: .now() + 5) == .success)
        #expect(third.withLock { $0 } == .answered(status: 200, body: "ok", closes: true))
        close(idle[1])
    }
}
