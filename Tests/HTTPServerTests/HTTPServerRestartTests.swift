import HTTPServer
import Testing
import Upstream

/// A stopped server can start again on the port it had: what the simulator's
/// `refuse_connections` fault relies on to close and reopen a region.
@Suite struct HTTPServerRestartTests {
    private func get(_ client: UpstreamClient, _ url: String) async -> CollectingDelegate.Result {
        let delegate = CollectingDelegate()
        client.submit(
            UpstreamRequest(method: "GET", url: url, timeouts: UpstreamTimeouts(connect: 2, firstByte: 5)),
            delegate: delegate)
        return await delegate.result()
    }

    @Test func restartsOnTheSamePortAfterStop() async throws {
        let server = HTTPServer(
            configuration: HTTPServerConfiguration(port: 0),
            handler: ClosureHTTPHandler { _, responder in
                responder.respond(HTTPResponse(status: 200, text: "ok"))
            })
        try server.start()
        defer { server.stop() }
        let port = server.port
        #expect(port != 0)
        let url = "http://\(server.address)/"
        let client = UpstreamClient()
        client.start()
        defer { client.shutdown() }

        let first = await get(client, url)
        #expect(first.status == 200)
        #expect(first.text == "ok")

        server.stop()
        #expect(server.port == port)
        let refused = await get(client, url)
        #expect(refused.status == nil)
        #expect(refused.error?.requestNeverSent == true, "\(String(describing: refused.error))")
        if case .connectFailed? = refused.error {
        } else {
            Issue.record("expected connectFailed, got \(String(describing: refused.error))")
        }

        try server.start()
        #expect(server.port == port)
        try server.start()  // already running: nothing happens
        #expect(server.port == port)
        let again = await get(client, url)
        #expect(again.status == 200)
        #expect(again.text == "ok")
        // The draining flag was reset: responses no longer say `connection: close`, so the
        // next call reuses the connection.
        let opened = client.connectionsOpenedTotal
        #expect(await get(client, url).status == 200)
        #expect(client.connectionsOpenedTotal == opened)
    }
}
