import BallastCore
package import HTTPServer
import Upstream
import Cache
import JSON
import RulesRuntime
import Rules
import Synchronization

/// The Anthropic-compatible front door: `POST /v1/messages` (plain and streaming),
/// `POST /v1/messages/count_tokens`, and every other `/v1/*` path passed through.
///
/// It checks what Ballast can check cheaply (body size, JSON syntax, credentials), shapes
/// the upstream request's headers, and hands the rest to a `ProxiedCall`.
package final class ProxyHandler: HTTPHandler {
    let context: ProxyContext

    package init(context: ProxyContext) {
        self.context = context
    }

    package func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        let arrival = context.clock.now()
        var request = request
        switch ProxyPath.check(raw: request.rawPath) {
        case .forward(let decoded):
            request.path = decoded
        case .notFound:
            return reject(
                AnthropicError(.notFound, "Ballast serves the Anthropic API under /v1/; no route for \(request.path)"),
                responder)
        case .invalid(let message):
            context.refusals.add("invalid_path")
            return reject(AnthropicError(.invalidRequest, message), responder)
        }
        if request.bodyExceededLimit {
            return reject(
                AnthropicError(
                    .requestTooLarge,
                    "request body exceeds the limit of \(context.options.maxRequestBodyDescription)"),
                responder)
        }
        var model: String?
        var maxTokens: Int?
        var wantsStream = false
        if request.method == "POST", request.path == "/v1/messages" || request.path == "/v1/messages/count_tokens" {
            if let problem = JSONBodyCheck.check(request.body, maxDepth: context.options.maxJSONDepth) {
                context.refusals.add(problem.reason)
                return reject(AnthropicError(.invalidRequest, problem.description), responder)
            }
            do {
                let top = try JSONScanner.scanObject(request.body, fields: ["model", "stream", "max_tokens"])
                model = top.strings["model"]
                maxTokens = top.numbers["max_tokens"].flatMap { Int($0) }.flatMap { $0 > 0 ? $0 : nil }
                wantsStream = top.booleans["stream"] ?? false
            } catch {
                return reject(AnthropicError(.invalidRequest, "request body is not valid JSON: \(error)"), responder)
            }
        }
        let checked = request
        admitClient(checked, model: model, maxTokens: maxTokens, responder: responder) { [self, checked, model, maxTokens, wantsStream] ticket in
            forward(
                checked, arrival: arrival, model: model, maxTokens: maxTokens, wantsStream: wantsStream, client: ticket,
                responder: responder)
        }
    }

    /// The request passed the client-key checks (`ticket` is nil when it carries no key and
    /// none is required): shape it and send it on.
    private func forward(
        _ request: HTTPRequest, arrival: MonotonicInstant, model: String?, maxTokens: Int?,
        wantsStream: Bool, client ticket: ClientTicket?, responder: HTTPResponder
    ) {
        var model = model
        var upstreamHeaders = HTTPHeaders()
        for field in request.headers where !Self.notForwarded.contains(field.name) && !field.name.hasPrefix("x-ballast-") {
            upstreamHeaders.add(field.name, field.value)
        }
        if upstreamHeaders["anthropic-version"] == nil {
            upstreamHeaders.add("anthropic-version", context.options.defaultAnthropicVersion)
        }
        if !request.body.isEmpty, upstreamHeaders["content-type"] == nil {
            upstreamHeaders.add("content-type", "application/json")
        }
        if context.credentials is PassthroughCredentials, request.headers["x-api-key"] == nil,
            request.headers["authorization"] == nil
        {
            return reject(AnthropicError(.authentication, "no API key: send x-api-key or Authorization: Bearer"), responder)
        }
        var body = request.body
        var migration: MigrationOutcome?
        if request.method == "POST", request.path == "/v1/messages" || request.path == "/v1/messages/count_tokens",
            let migrations = context.migrations, migrations.isActive
        {
            let outcome = migrations.route(
                model: model, clientHeaders: request.headers, upstreamHeaders: &upstreamHeaders,
                body: &body)
            model = outcome.model
            migration = outcome
        }
        var degradedHeader: String?
        if request.method == "POST", request.path == "/v1/messages", let rules = context.rules {
            let policy = rules.degradation
            if policy.isDegraded {
                let degrader = Degrader(policy: policy, fallback: { rules.fallback(for: $0) })
                let outcome = degrader.apply(headers: request.headers, body: body, model: model, wantsStream: wantsStream) {
                    guard let cache = context.cache,
                        let key = try? CacheKey(
                            credential: credentialIdentity(request.headers), path: request.path,
                            body: body, headers: upstreamHeaders)
                    else { return nil }
                    return cache.store.lookup(key, wall: context.clock.wallTime(), allowStale: true)?.body
                }
                switch outcome {
                case .answer(let response):
                    ticket?.settle(inputTokens: 0, outputTokens: 0)
                    var record = RequestRecord(
                        time: context.clock.wallTime(), region: nil, model: model, route: "degraded", status: response.status,
                        outcome: (200..<300).contains(response.status) ? .success : .ballast,
                        errorType: (200..<300).contains(response.status) ? nil : "overloaded_error", attempts: 0,
                        streamed: wantsStream, latency: context.clock.now().seconds(since: arrival))
                    record.client = ticket?.name
                    context.sink?.record(record, attempts: [], overhead: nil)
                    return responder.respond(response)
                case .forward(let newBody, let newModel, let header):
                    body = newBody
                    model = newModel
                    degradedHeader = header
                }
            }
        }
        var cached: CachedRequest?
        if let cache = context.cache,
            case .cache(let ttl) = cache.policy.decide(
                method: request.method, path: request.path,
                headers: request.headers, body: body),
            let key = try? CacheKey(
                credential: credentialIdentity(request.headers), path: request.path,
                body: body, headers: upstreamHeaders)
        {
            if let hit = cache.store.lookup(key, wall: context.clock.wallTime()) {
                cache.counters.hits.add(1, ordering: .relaxed)
                let response = CachedAnswerResponse.make(body: hit.body, wantsStream: wantsStream, source: "hit")
                ticket?.settle(inputTokens: 0, outputTokens: 0)
                var record = RequestRecord(
                    time: context.clock.wallTime(), region: nil, model: model, route: "cache", status: 200,
                    outcome: .success, attempts: 0, cacheHit: true, streamed: wantsStream,
                    latency: context.clock.now().seconds(since: arrival), timeToFirstByte: context.clock.now().seconds(since: arrival),
                    inputTokens: 0, outputTokens: 0, bytesSent: 0)
                record.client = ticket?.name
                context.sink?.record(record, attempts: [], overhead: nil)
                return responder.respond(response)
            }
            cache.counters.misses.add(1, ordering: .relaxed)
            cached = CachedRequest(key: key, ttl: ttl)
        }
        let object = ObjectRoute.of(method: request.method, path: request.path)
        var home: String?
        if case .use(_, let id, _) = object { home = context.homes.home(of: id) }
        let call = ProxiedCall(
            context: context,
            request: CallRequest(
                method: request.method, pathAndQuery: request.rawPath + Self.encodeQuery(request.query),
                upstreamHeaders: upstreamHeaders, clientHeaders: request.headers, body: body, model: model,
                wantsStream: wantsStream, hedgeAllowed: request.headers["x-ballast-hedge"]?.lowercased() != "off",
                replay: ReplaySafety.of(method: request.method, path: request.path),
                arrival: arrival, arrivalWallTime: context.clock.wallTime(),
                deadline: RequestDeadline.instant(arrival: arrival, total: context.options.timeouts.total, headers: request.headers),
                maxTokens: maxTokens, cache: cached, degraded: degradedHeader,
                canary: migration?.canary, migrationHeaders: migration?.responseHeaders ?? [],
                object: object, home: home, client: ticket),
            responder: responder)
        call.start()
    }

    /// Whose answer this is: the client's own key when it sent one (so clients never share
    /// answers), else the mode (every client is then Ballast's one credential).
    private func credentialIdentity(_ headers: HTTPHeaders) -> String {
        headers["x-api-key"] ?? headers["authorization"] ?? "ballast:\(context.credentials.modeName)"
    }

    private func reject(_ error: AnthropicError, _ responder: HTTPResponder) {
        responder.respond(.json(error.status, error.jsonBody))
    }

    /// Request headers that describe the client's connection or that Ballast sets itself.
    static let notForwarded: Set<String> = [
        "host", "connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer", "upgrade",
        "proxy-authorization", "proxy-connection", "accept-encoding", "expect", "x-api-key", "authorization",
    ]

    static func encodeQuery(_ items: [(name: String, value: String)]) -> String {
        guard !items.isEmpty else { return "" }
        return "?" + items.map { PercentEncoding.encode($0.name) + "=" + PercentEncoding.encode($0.value) }.joined(separator: "&")
    }
}
