import BallastCore
import ControlModels
package import HTTPServer
package import Metrics
package import Telemetry
package import Upstream
import JSON
package import Resilience

/// The admin listener: `/livez`, `/healthz`, `/readyz` and `/metrics` (open, for probes and
/// Prometheus), the status page at `/`, and the control API under `/control/v1/` (both behind
/// the token). Routes are `ControlEndpoint`'s table. Built without a `ControlAPI` it is the
/// probe listener (`admin.probe_listen`): the open routes only, everything else a 404.
package final class AdminHandler: HTTPHandler {
    private let router: Router
    private let client: UpstreamClient
    private let registry: MetricsRegistry
    private let proxyInFlight: @Sendable () -> Int
    private let control: ControlAPI?
    private let page: StatusPage?
    private let storeHealth: StoreHealth
    private let readiness: @Sendable () -> Readiness

    package init(
        router: Router, client: UpstreamClient, registry: MetricsRegistry, control: ControlAPI?, storeHealth: StoreHealth,
        proxyInFlight: @escaping @Sendable () -> Int, readiness: @escaping @Sendable () -> Readiness
    ) {
        self.storeHealth = storeHealth
        self.readiness = readiness
        self.router = router
        self.client = client
        self.registry = registry
        self.control = control
        page = control.map { StatusPage(api: $0) }
        self.proxyInFlight = proxyInFlight
    }

    package func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        guard let (endpoint, parameters) = ControlEndpoint.match(method: request.method, path: request.path) else {
            let allowed = ControlEndpoint.methods(for: request.path)
            if !allowed.isEmpty {
                let error = ControlError(
                    status: 405, type: "method_not_allowed",
                    message: "\(request.method) is not allowed on \(request.path) (allowed: \(allowed.joined(separator: ", ")))")
                return responder.respond(ControlAPI.error(error, headers: ["allow": allowed.joined(separator: ", ")]))
            }
            return responder.respond(ControlAPI.error(.notFound("no route for \(request.method) \(request.path)")))
        }
        switch endpoint {
        case .health:
            responder.respond(.json(200, Self.encode(health())))
        case .live:
            responder.respond(.json(200, #"{"status":"ok"}"#, headers: ["cache-control": "no-store"]))
        case .ready:
            let verdict = readiness()
            let document = ProbeDocument.Ready(status: verdict.status, store: ControlAPI.storeDocument(storeHealth.report))
            responder.respond(.json(verdict.ready ? 200 : 503, Self.encode(document), headers: ["cache-control": "no-store"]))
        case .metrics:
            let format = MetricsFormat.negotiate(accept: request.headers["accept"])
            responder.respond(
                HTTPResponse(
                    status: 200, headers: ["content-type": format.contentType],
                    text: registry.render(format)))
        case .statusPage:
            guard let page else { return responder.respond(ControlAPI.error(.notFound("the status page is not enabled"))) }
            responder.respond(page.show(request))
        case .login:
            guard let page else { return responder.respond(ControlAPI.error(.notFound("the status page is not enabled"))) }
            responder.respond(page.login(request))
        default:
            guard let control else { return responder.respond(ControlAPI.error(.notFound("the control API is not enabled"))) }
            responder.respond(control.handle(endpoint, parameters: parameters, request: request))
        }
    }

    private func health() -> ProbeDocument.Health {
        ProbeDocument.Health(
            status: "ok", proxy: .init(inFlight: proxyInFlight()),
            upstream: .init(activeTransfers: client.activeTransfers, connectionsOpened: client.connectionsOpenedTotal),
            regions: router.regions.map { .init(name: $0.name, baseURL: $0.baseURL, weight: $0.weight) })
    }

    /// The probes' documents hold no numbers that could fail to encode (store times are
    /// finite wall-clock seconds); a failure would still answer, as an empty object.
    private static func encode(_ document: some Encodable) -> String {
        (try? ControlCoding.encode(document)) ?? "{}"
    }
}
