import BallastCore
import HTTPServer
import Resilience

extension ProxyHandler {
    /// The client-key step (`clients`): 401 for a missing or unknown key, 403 for a model the
    /// key may not use, 429 when its rate or daily budget is spent; else `next` runs with the
    /// key's ticket (nil when no key is configured or required). The key itself never goes
    /// upstream: `x-api-key` and `Authorization` are not forwarded, and the upstream
    /// credential replaces them.
    ///
    /// Requests cost one request; `POST /v1/messages` also its input tokens (estimated from
    /// the body's size) and `max_tokens` output tokens, refunded to the real usage later.
    func admitClient(
        _ request: HTTPRequest, model: String?, maxTokens: Int?, responder: HTTPResponder,
        next: @escaping @Sendable (ClientTicket?) -> Void
    ) {
        guard let gate = context.clients, gate.isActive else { return next(nil) }
        let key: ClientKey
        switch gate.identify(request.headers) {
        case .anonymous:
            return next(nil)
        case .refused(let error, let reason):
            gate.countRefusal(client: nil, reason: reason)
            return responder.respond(.json(error.status, error.jsonBody))
        case .key(let found):
            key = found
        }
        if let error = gate.permission(key, model: model, method: request.method, path: request.path) {
            gate.countRefusal(client: key.name, reason: "model")
            return responder.respond(.json(error.status, error.jsonBody))
        }
        let cost =
            request.method == "POST" && request.path == "/v1/messages"
            ? RequestCost.estimate(bodyBytes: request.body.count, maxTokens: maxTokens, outputRatio: 1)
            : .zero
        gate.admit(key, cost: cost) { admission in
            switch admission {
            case .refused(let response):
                responder.respond(response)
            case .admitted(let ticket):
                next(ticket)
            }
        }
    }
}
