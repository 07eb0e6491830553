import BallastCore
import Dispatch
import HTTPServer
import Synchronization

/// The request handler of one simulated region: the Messages API with its faults and
/// pacing, plus the `/_sim/` control endpoints.
///
/// Everything random for a request is drawn in one locked step from the region's seeded
/// stream, so the same config and the same request order give the same run.
final class RegionEngine: HTTPHandler, Sendable {
    struct State {
        var random: SeededRandom
        var baseFaults: FaultSettings
        var limiter: RateLimiter
        /// The simulator's start: schedule times and bucket times count from here.
        var origin: MonotonicInstant
    }

    let config: SimulatedRegionConfig
    let clock: any Clock
    /// The simulator's OAuth tokens; when set, API requests need one instead of `apiKey`.
    let tokens: IssuedTokenStore?
    let stats = StatsRecorder()
    private let ids: IdentifierMaker
    /// Runs delayed answers and stream producers.
    let queue: DispatchQueue
    private let state: Mutex<State>

    init(config: SimulatedRegionConfig, seed: UInt64, clock: any Clock, tokens: IssuedTokenStore? = nil) {
        self.config = config
        self.clock = clock
        self.tokens = tokens
        ids = IdentifierMaker(seed: StableHash.mix(seed ^ 0x1D5_0F_1D5))
        queue = DispatchQueue(label: "ballast.simulator.\(config.name)", attributes: .concurrent)
        state = Mutex(State(random: SeededRandom(seed: seed), baseFaults: config.faults,
                            limiter: RateLimiter(settings: config.faults.rateLimit, now: 0), origin: clock.now()))
    }

    /// Restarts the timeline (schedule and buckets) at `origin`.
    func markStarted(at origin: MonotonicInstant) {
        state.withLock { s in
            s.origin = origin
            s.limiter = RateLimiter(settings: s.limiter.settings, now: 0)
        }
    }

    var baseFaults: FaultSettings { state.withLock { $0.baseFaults } }

    func setBaseFaults(_ faults: FaultSettings) {
        state.withLock { $0.baseFaults = faults }
    }

    var effectiveFaults: FaultSettings {
        state.withLock { s in effective(s, elapsed: clock.now().seconds(since: s.origin)) }
    }

    /// - Parameter model: the request's model, for model-scoped schedule entries; nil before
    ///   the body is read.
    private func effective(_ s: State, elapsed: Double, model: String? = nil) -> FaultSettings {
        FaultScheduleEntry.effectiveFaults(base: s.baseFaults, schedule: config.schedule, elapsed: elapsed, model: model)
    }

    // MARK: Routing

    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        switch request.path {
        case "/v1/messages":
            api(request, responder, countTokens: false)
        case "/v1/messages/count_tokens":
            api(request, responder, countTokens: true)
        case let path where path.hasPrefix("/_sim/"):
            control(request, responder)
        default:
            stats.received()
            let headers: HTTPHeaders = ["request-id": ids.make("req_")]
            // The API authenticates before it routes: an unknown /v1/ path without valid
            // credentials is a 401, not a 404.
            if request.path.hasPrefix("/v1/"), let error = authenticationError(request) {
                send(responder, error, headers: headers)
                return
            }
            send(responder, AnthropicError(.notFound, "Not Found"), headers: headers)
        }
    }

    // MARK: The Messages API

    private func api(_ request: HTTPRequest, _ responder: HTTPResponder, countTokens: Bool) {
        stats.received()
        let requestID = ids.make("req_")
        let (outage, early) = state.withLock { s -> (Bool, RateLimiter.Snapshot) in
            let elapsed = clock.now().seconds(since: s.origin)
            let faults = effective(s, elapsed: elapsed)
            s.limiter.update(faults.rateLimit, now: elapsed)
            return (faults.outage, s.limiter.snapshot(now: elapsed))
        }
        if outage {
            drop(responder)
            return
        }
        let headers = apiHeaders(requestID: requestID, snapshot: early)
        if request.method != "POST" {
            send(responder, AnthropicError(.invalidRequest, "Method \(request.method) is not allowed on \(request.path)", status: 405),
                 headers: headers)
            return
        }
        if let error = authenticationError(request) {
            send(responder, error, headers: headers)
            return
        }
        if config.requireAnthropicVersion, request.headers["anthropic-version"] == nil {
            send(responder, AnthropicError(.invalidRequest, "anthropic-version: header is required"), headers: headers)
            return
        }
        if request.bodyExceededLimit {
            send(responder, AnthropicError(.requestTooLarge, "Request exceeds the maximum allowed number of bytes."),
                 headers: headers)
            return
        }
        let parsed: MessagesRequest
        switch MessagesRequest.parse(request.body, requireMaxTokens: !countTokens) {
        case .failure(let error):
            send(responder, error, headers: headers)
            return
        case .success(let value):
            parsed = value
        }
        let overrides: TestOverrides
        switch TestOverrides.parse(request.headers) {
        case .failure(let error):
            send(responder, error, headers: headers)
            return
        case .success(let value):
            overrides = value
        }
        if countTokens {
            answerCountTokens(parsed, overrides: overrides, headers: headers, responder)
        } else {
            answerMessages(parsed, overrides: overrides, requestID: requestID, responder)
        }
    }

    private func answerCountTokens(_ request: MessagesRequest, overrides: TestOverrides, headers: HTTPHeaders,
                                   _ responder: HTTPResponder) {
        switch overrides.fault?.decision {
        case .reset?:
            drop(responder)
        case .error(let status)?:
            send(responder, Self.upstreamError(status), headers: errorHeaders(headers, status: status, retryAfter: 1))
        case .spendLimit?:
            send(responder, SpendLimit.error(wallTime: clock.wallTime()), headers: SpendLimit.headers(headers))
        default:
            send(responder, status: 200, headers: headers, json: MessageEncoder.countTokens(request.inputTokens))
        }
    }

    private func answerMessages(_ request: MessagesRequest, overrides: TestOverrides, requestID: String,
                                _ responder: HTTPResponder) {
        let plan = ReplyPlan(request: request, output: config.output, forcedTokens: overrides.outputTokens,
                             deltaBytes: overrides.deltaBytes)
        let (decision, latency, retryAfter, snapshot) = state.withLock { s in
            let elapsed = clock.now().seconds(since: s.origin)
            let faults = effective(s, elapsed: elapsed, model: request.model)
            s.limiter.update(faults.rateLimit, now: elapsed)
            let draws = RequestDraws(using: &s.random)
            var decision: FaultDecision
            var retryAfter: Double?
            if let forced = overrides.fault {
                decision = forced.decision
            } else {
                switch s.limiter.admit(tokenCost: request.inputTokens + plan.outputTokens, now: elapsed) {
                case .limited(let wait):
                    decision = .error(429)
                    retryAfter = wait
                case .admitted:
                    decision = FaultDecision.choose(faults: faults, draws: draws, streaming: request.stream)
                }
            }
            if decision == .error(429), retryAfter == nil {
                retryAfter = s.limiter.secondsUntilNextRequest(now: elapsed)
            }
            let pacing = FaultScheduleEntry.effectiveLatency(base: config.latency, schedule: config.schedule, elapsed: elapsed,
                                                             model: request.model)
            let latency = LatencyPlan.sample(pacing, draws: draws, forcedFirstByte: overrides.firstByte,
                                             forcedTokenInterval: overrides.tokenInterval,
                                             forceStall: overrides.fault == .stall)
            return (decision, latency, retryAfter, s.limiter.snapshot(now: elapsed))
        }
        let headers = apiHeaders(requestID: requestID, snapshot: snapshot)
        switch decision {
        case .reset:
            after(latency.firstByte) { self.drop(responder) }
        case .spendLimit:
            // Answered at once, like every 429.
            send(responder, SpendLimit.error(wallTime: clock.wallTime()), headers: SpendLimit.headers(headers))
        case .error(let status):
            let response = errorHeaders(headers, status: status, retryAfter: retryAfter)
            // The edge answers rate limits and overload at once; other errors come from
            // the backend, after the time a first byte would have taken.
            let delay = status == 429 || status == 529 ? 0 : latency.firstByte
            after(delay) { self.send(responder, Self.upstreamError(status), headers: response) }
        case .none, .streamError:
            if request.stream {
                let script = StreamScript(id: ids.make("msg_"), request: request, plan: plan,
                                          tokenInterval: latency.tokenInterval, injectError: decision == .streamError)
                after(latency.firstByte) { self.startStream(script, headers: headers, responder) }
            } else {
                let body = MessageEncoder.message(id: ids.make("msg_"), model: request.model, text: plan.text.full,
                                                  stopReason: plan.stopReason, inputTokens: request.inputTokens,
                                                  outputTokens: plan.outputTokens)
                // A whole message arrives when its generation is done.
                let generation = Double(max(0, plan.text.deltaCount - 1)) * latency.tokenInterval
                after(latency.firstByte + generation) {
                    self.send(responder, status: 200, headers: headers, json: body)
                }
            }
        }
    }

    private func startStream(_ script: StreamScript, headers: HTTPHeaders, _ responder: HTTPResponder) {
        var headers = headers
        headers.set("content-type", "text/event-stream; charset=utf-8")
        headers.set("cache-control", "no-cache")
        let stream = ResponseStream()
        let producer = StreamProducer(stream: stream, script: script, stats: stats, target: queue)
        stats.update {
            $0.responsesByStatus[200, default: 0] += 1
            $0.streamsActive += 1
        }
        responder.respond(HTTPResponse(status: 200, headers: headers, body: .stream(stream)))
        producer.begin()
    }

    // MARK: Pieces

    /// The error body the real API sends for an injected status.
    static func upstreamError(_ status: Int) -> AnthropicError {
        switch status {
        case 429: AnthropicError(.rateLimit, "This request would exceed the rate limit for your organization. "
                                 + "Please reduce the rate of requests or retry after the time in the retry-after header.")
        case 502: AnthropicError(.api, "Bad gateway", status: 502)
        case 503: AnthropicError(.api, "Service unavailable", status: 503)
        case 504: AnthropicError(.timeout, "Request timed out", status: 504)
        case 529: AnthropicError(.overloaded, "Overloaded", status: 529)
        default: AnthropicError(.api, "Internal server error", status: status)
        }
    }

    private func errorHeaders(_ headers: HTTPHeaders, status: Int, retryAfter: Double?) -> HTTPHeaders {
        var headers = headers
        if status == 429 || status >= 500 { headers.set("x-should-retry", "true") }
        if status == 429 {
            // Whole seconds, rounded up so that a client honouring it finds a token.
            let seconds = max(1, Int((retryAfter ?? 1).rounded(.up)))
            headers.set("retry-after", String(seconds))
        }
        return headers
    }

    private func apiHeaders(requestID: String, snapshot: RateLimiter.Snapshot) -> HTTPHeaders {
        var headers: HTTPHeaders = ["request-id": requestID]
        let wall = clock.wallTime()
        if let limit = snapshot.requestsLimit {
            headers.add("anthropic-ratelimit-requests-limit", String(limit))
            headers.add("anthropic-ratelimit-requests-remaining", String(snapshot.requestsRemaining))
            headers.add("anthropic-ratelimit-requests-reset", RFC3339.format(epochSeconds: wall + snapshot.requestsResetSeconds))
        }
        if let limit = snapshot.tokensLimit {
            headers.add("anthropic-ratelimit-tokens-limit", String(limit))
            headers.add("anthropic-ratelimit-tokens-remaining", String(snapshot.tokensRemaining))
            headers.add("anthropic-ratelimit-tokens-reset", RFC3339.format(epochSeconds: wall + snapshot.tokensResetSeconds))
        }
        return headers
    }

    private func drop(_ responder: HTTPResponder) {
        stats.reset()
        responder.abortConnection()
    }

    func send(_ responder: HTTPResponder, _ error: AnthropicError, headers: HTTPHeaders) {
        send(responder, status: error.status, headers: headers, json: error.jsonBody)
    }

    func send(_ responder: HTTPResponder, status: Int, headers: HTTPHeaders, json: String, counted: Bool = true) {
        var headers = headers
        headers.set("content-type", "application/json")
        let bytes = Array(json.utf8)
        if counted { stats.responded(status: status, bytes: bytes.count) }
        responder.respond(HTTPResponse(status: status, headers: headers, body: .bytes(bytes)))
    }

    /// Runs `work` after `seconds` without holding a thread; at once when zero.
    private func after(_ seconds: Double, _ work: @escaping @Sendable () -> Void) {
        if seconds <= 0 {
            work()
        } else {
            queue.asyncAfter(deadline: .now() + seconds, execute: work)
        }
    }
}
