import BallastCore
import HTTPServer
import Metrics
import Upstream

/// The admin listener: health now; metrics and the control API hang off it later.
final class AdminHandler: HTTPHandler {
    private let router: Router
    private let client: UpstreamClient
    private let registry: MetricsRegistry
    private let proxyInFlight: @Sendable () -> Int

    init(router: Router, client: UpstreamClient, registry: MetricsRegistry, proxyInFlight: @escaping @Sendable () -> Int) {
        self.router = router
        self.client = client
        self.registry = registry
        self.proxyInFlight = proxyInFlight
    }

    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        switch (request.method, request.path) {
        case ("GET", "/healthz"):
            responder.respond(.json(200, healthJSON()))
        case ("GET", "/metrics"):
            let format = MetricsFormat.negotiate(accept: request.headers["accept"])
            responder.respond(HTTPResponse(status: 200, headers: ["content-type": format.contentType],
                                           text: registry.render(format)))
        default:
            responder.respond(.json(404, #"{"error":{"type":"not_found","message":"no route for \#(JSONText.escape(request.method)) \#(JSONText.escape(request.path))"}}"#))
        }
    }

    private func healthJSON() -> String {
        let regions = router.regions.map {
            #"{"name":"\#(JSONText.escape($0.name))","base_url":"\#(JSONText.escape($0.baseURL))","weight":\#($0.weight)}"#
        }.joined(separator: ",")
        return #"{"status":"ok","proxy":{"in_flight":\#(proxyInFlight())},"upstream":{"active_transfers":\#(client.activeTransfers),"connections_opened":\#(client.connectionsOpenedTotal)},"regions":[\#(regions)]}"#
    }
}
