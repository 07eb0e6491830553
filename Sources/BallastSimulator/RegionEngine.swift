import BallastCore
import Dispatch
import HTTPServer
import Synchronization

/// The request handler of one simulated region: the Messages API with its faults and
/// pacing, plus the `/_sim/` control endpoints.
///
/// Everything random for a request is drawn in one locked step from the region's seeded
/// stream, so the same config and the same request order give the same run.
///
/// Rate limits are charged per credential to the organisation's buckets, which the
/// `Simulator` owns and every region in that scope shares, or to the region's own buckets
/// when its limits say `scope: region`. Lock order: the engine's state, then a store's.
final class RegionEngine: HTTPHandler, Sendable {
    struct State {
        var random: SeededRandom
        var baseFaults: FaultSettings
        var episodes: [FaultEpisodeTimeline]
        /// Requests the backend is working on (from admission to their last byte), for the
        /// overload slowdown.
        var inFlight = 0
        /// The simulator's start: schedule, episode and bucket times count from here.
        var origin: MonotonicInstant
    }

    let config: SimulatedRegionConfig
    let clock: any TimeSource
    /// The simulator's OAuth tokens; when set, API requests need one instead of `apiKey`.
    let tokens: IssuedTokenStore?
    let stats = StatsRecorder()
    let ids: IdentifierMaker
    /// Runs delayed answers and stream producers.
    let queue: DispatchQueue
    let state: Mutex<State>
    private let episodeSeed: UInt64
    /// The organisation's limits, for a region without its own.
    let organisationSettings: RateLimitSettings
    /// Shared with every region of the simulator.
    let organisationLimits: RateLimitStore
    /// This region's own buckets, for limits in the region scope.
    let regionLimits = RateLimitStore()
    /// The wire shapes the region answers in, from its `kind`.
    let dialect: WireDialect
    /// The cloud accounts a Bedrock or Vertex region checks credentials against.
    let cloud: CloudAccess

    init(
        config: SimulatedRegionConfig, seed: UInt64, clock: any TimeSource, tokens: IssuedTokenStore? = nil,
        organisationSettings: RateLimitSettings = RateLimitSettings(), organisationLimits: RateLimitStore = RateLimitStore(),
        cloud: CloudAccess = CloudAccess()
    ) {
        self.config = config
        dialect = WireDialect(config.kind)
        self.cloud = cloud
        self.clock = clock
        self.tokens = tokens
        self.organisationSettings = organisationSettings.scoped(.organisation)
        self.organisationLimits = organisationLimits
        ids = IdentifierMaker(seed: StableHash.mix(seed ^ 0x1D5_0F_1D5))
        queue = DispatchQueue(label: "ballast.simulator.\(config.name)", attributes: .concurrent)
        episodeSeed = StableHash.mix(seed ^ 0xE915_0DE5)
        state = Mutex(
            State(
                random: SeededRandom(seed: seed), baseFaults: config.faults,
                episodes: Self.timelines(config.episodes, seed: episodeSeed), origin: clock.now()))
    }

    /// One timeline per episode model, each on a stream of its own.
    private static func timelines(_ models: [FaultEpisodeModel], seed: UInt64) -> [FaultEpisodeTimeline] {
        models.enumerated().map { index, model in
            FaultEpisodeTimeline(model: model, seed: StableHash.mix(seed &+ UInt64(index)))
        }
    }

    /// Restarts the timeline (schedule, episodes and the region's own buckets) at `origin`.
    /// The organisation's buckets are the simulator's to restart.
    func markStarted(at origin: MonotonicInstant) {
        state.withLock { s in
            s.origin = origin
            s.episodes = Self.timelines(config.episodes, seed: episodeSeed)
        }
        regionLimits.reset()
    }

    /// The limits a region applies under `faults`, and whose buckets they charge.
    func rateLimits(_ faults: FaultSettings) -> (settings: RateLimitSettings, store: RateLimitStore) {
        let settings = faults.rateLimit ?? organisationSettings
        return (settings, settings.scope == .region ? regionLimits : organisationLimits)
    }

    /// Whose buckets a request is charged to: the organisation behind its credential. With the
    /// simulator's OAuth issuer every token is the one client's; otherwise the key itself
    /// (a request without one shares the empty key).
    func credential(_ request: HTTPRequest) -> String {
        if tokens != nil { return "oauth" }
        return request.headers["x-api-key"] ?? Self.bearerToken(request.headers) ?? ""
    }

    var baseFaults: FaultSettings { state.withLock { $0.baseFaults } }

    /// Requests the backend is working on now.
    var inFlight: Int { state.withLock { $0.inFlight } }

    func setBaseFaults(_ faults: FaultSettings) {
        state.withLock { $0.baseFaults = faults }
    }

    /// The faults in force now for the whole region: base, schedule and any episode that is
    /// not narrowed to some models.
    var effectiveFaults: FaultSettings {
        state.withLock { s in
            let elapsed = clock.now().seconds(since: s.origin)
            var latency = config.latency
            let scheduled = effective(s, elapsed: elapsed)
            return withEpisodes(&s, scheduled, latency: &latency, elapsed: elapsed, model: nil)
        }
    }

    /// `faults` and `latency` with every episode in force at `elapsed` that hits `model` on
    /// top (in the order of the config).
    private func withEpisodes(
        _ s: inout State, _ faults: FaultSettings, latency: inout LatencyModel, elapsed: Double,
        model: String?
    ) -> FaultSettings {
        var faults = faults
        for index in s.episodes.indices where s.episodes[index].episode(at: elapsed) != nil {
            let episode = s.episodes[index].model
            guard episode.applies(to: model) else { continue }
            faults = episode.faults.applied(to: faults)
            if let stall = episode.stall { latency.stall = stall }
        }
        return faults
    }

    /// - Parameter model: the request's model, for model-scoped schedule entries; nil before
    ///   the body is read.
    func effective(_ s: State, elapsed: Double, model: String? = nil) -> FaultSettings {
        FaultScheduleEntry.effectiveFaults(base: s.baseFaults, schedule: config.schedule, elapsed: elapsed, model: model)
    }

    // MARK: Routing

    func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        if dialect != .anthropic, !request.path.hasPrefix("/_sim/") {
            cloud(request, responder)
            return
        }
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
        let credential = credential(request)
        let (outage, early) = state.withLock { s -> (Bool, RateLimiter.Snapshot) in
            let elapsed = clock.now().seconds(since: s.origin)
            let faults = effective(s, elapsed: elapsed)
            let limits = rateLimits(faults)
            return (faults.outage, limits.store.snapshot(credential: credential, settings: limits.settings, now: elapsed))
        }
        if outage {
            drop(responder)
            return
        }
        let headers = apiHeaders(requestID: requestID, snapshot: early)
        if request.method != "POST" {
            send(
                responder, AnthropicError(.invalidRequest, "Method \(request.method) is not allowed on \(request.path)", status: 405),
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
            send(
                responder, AnthropicError(.requestTooLarge, "Request exceeds the maximum allowed number of bytes."),
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
            answerMessages(parsed, overrides: overrides, requestID: requestID, credential: credential, responder)
        }
    }

    private func answerCountTokens(
        _ request: MessagesRequest, overrides: TestOverrides, headers: HTTPHeaders,
        _ responder: HTTPResponder
    ) {
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

    func answerMessages(
        _ request: MessagesRequest, overrides: TestOverrides, requestID: String,
        credential: String, _ responder: HTTPResponder
    ) {
        let plan = ReplyPlan(
            request: request, output: config.output, forcedTokens: overrides.outputTokens,
            deltaBytes: overrides.deltaBytes)
        let (decision, latency, retryAfter, snapshot) = state.withLock { s in
            let elapsed = clock.now().seconds(since: s.origin)
            var pacing = FaultScheduleEntry.effectiveLatency(
                base: config.latency, schedule: config.schedule, elapsed: elapsed,
                model: request.model)
            let scheduled = effective(s, elapsed: elapsed, model: request.model)
            let faults = withEpisodes(&s, scheduled, latency: &pacing, elapsed: elapsed, model: request.model)
            let limits = rateLimits(faults)
            let draws = RequestDraws(using: &s.random)
            var decision: FaultDecision
            var retryAfter: Double?
            if let forced = overrides.fault {
                decision = forced.decision
            } else {
                switch limits.store.admit(
                    credential: credential, settings: limits.settings, inputTokens: request.inputTokens,
                    now: elapsed)
                {
                case .limited(let wait):
                    decision = .error(429)
                    retryAfter = wait
                case .admitted:
                    decision = FaultDecision.choose(faults: faults, draws: draws, streaming: request.stream)
                }
            }
            if decision == .error(429), retryAfter == nil {
                retryAfter = limits.store.secondsUntilNextRequest(credential: credential, settings: limits.settings, now: elapsed)
            }
            let working = Self.occupiesBackend(decision)
            let overload = LatencyPlan.overloadFactor(inFlight: s.inFlight + (working ? 1 : 0), capacity: config.capacity)
            if working { s.inFlight += 1 }
            let latency = LatencyPlan.sample(
                pacing, draws: draws, forcedFirstByte: overrides.firstByte,
                forcedTokenInterval: overrides.tokenInterval,
                forceStall: overrides.fault == .stall, overload: overload)
            if let output = Self.output(of: decision, plan: plan, latency: latency, streaming: request.stream, now: elapsed) {
                limits.store.charge(credential: credential, settings: limits.settings, output: output, now: elapsed)
            }
            return (
                decision, latency, retryAfter,
                limits.store.snapshot(credential: credential, settings: limits.settings, now: elapsed)
            )
        }
        let headers =
            dialect == .anthropic
            ? apiHeaders(requestID: requestID, snapshot: snapshot)
            : cloudHeaders(requestID: requestID)
        let done: @Sendable () -> Void = { self.state.withLock { $0.inFlight -= 1 } }
        switch decision {
        case .reset:
            after(latency.firstByte) {
                self.drop(responder)
                done()
            }
        case .spendLimit where dialect == .anthropic:
            // Answered at once, like every 429.
            send(responder, SpendLimit.error(wallTime: clock.wallTime()), headers: SpendLimit.headers(headers))
        case .spendLimit:
            // A cloud has no spend-limit answer of the API's: its quota refusal instead.
            send(responder, dialect.fault(429), headers: headers)
        case .error(let status):
            // The clouds send neither retry-after nor x-should-retry.
            let response = dialect == .anthropic ? errorHeaders(headers, status: status, retryAfter: retryAfter) : headers
            if Self.occupiesBackend(decision) {
                // Other errors come from the backend, after the time a first byte would have taken.
                after(latency.firstByte) {
                    self.send(responder, self.dialect.fault(status), headers: response)
                    done()
                }
            } else {
                send(responder, dialect.fault(status), headers: response)
            }
        case .none, .streamError:
            if request.stream {
                let script = StreamScript(
                    id: ids.make("msg_"), request: request, plan: plan,
                    tokenInterval: latency.tokenInterval, injectError: decision == .streamError,
                    eventStream: dialect == .bedrock)
                after(latency.firstByte) { self.startStream(script, headers: headers, responder, done: done) }
            } else {
                let body = MessageEncoder.message(
                    id: ids.make("msg_"), model: request.model, text: plan.text.full,
                    stopReason: plan.stopReason, inputTokens: request.inputTokens,
                    outputTokens: plan.outputTokens)
                // A whole message arrives when its generation is done.
                let generation = Double(max(0, plan.text.deltaCount - 1)) * latency.tokenInterval
                after(latency.firstByte + generation) {
                    self.send(responder, status: 200, headers: headers, json: body)
                    done()
                }
            }
        }
    }

    /// Whether the backend works on a request so decided: not for what the edge answers at
    /// once (rate limits, overload, spend limits).
    static func occupiesBackend(_ decision: FaultDecision) -> Bool {
        switch decision {
        case .spendLimit: false
        case .error(let status): status != 429 && status != 529
        case .none, .reset, .streamError: true
        }
    }

    /// The output tokens a reply produces, and when: from its first byte to its last delta,
    /// evenly (a non-streamed reply is generated at the same pace, only delivered at the end).
    /// A stream cut by an error produces the deltas it sends; failures produce none.
    static func output(
        of decision: FaultDecision, plan: ReplyPlan, latency: LatencyPlan, streaming: Bool,
        now: Double
    ) -> OutputCharge? {
        let deltas: Int
        switch decision {
        case .none: deltas = plan.text.deltaCount
        case .streamError where streaming: deltas = plan.text.deltaCount / 2
        default: return nil
        }
        let share = plan.text.deltaCount > 0 ? Double(deltas) / Double(plan.text.deltaCount) : 1
        let start = now + latency.firstByte
        return OutputCharge(
            start: start, end: start + Double(max(0, deltas - 1)) * latency.tokenInterval,
            tokens: Double(plan.outputTokens) * share)
    }

    private func startStream(
        _ script: StreamScript, headers: HTTPHeaders, _ responder: HTTPResponder,
        done: @escaping @Sendable () -> Void
    ) {
        var headers = headers
        if dialect == .bedrock {
            headers.set("content-type", "application/vnd.amazon.eventstream")
            headers.set("x-amzn-bedrock-content-type", "application/json")
        } else {
            headers.set("content-type", "text/event-stream; charset=utf-8")
            headers.set("cache-control", "no-cache")
        }
        let stream = ResponseStream()
        let producer = StreamProducer(stream: stream, script: script, stats: stats, target: queue, onFinish: done)
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
        case 429:
            AnthropicError(
                .rateLimit,
                "This request would exceed the rate limit for your organization. "
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
        let readings = [
            ("requests", snapshot.requests), ("input-tokens", snapshot.inputTokens),
            ("output-tokens", snapshot.outputTokens), ("tokens", snapshot.tokens),
        ]
        for case let (kind, reading?) in readings {
            headers.add("anthropic-ratelimit-\(kind)-limit", String(reading.limit))
            headers.add("anthropic-ratelimit-\(kind)-remaining", String(reading.remaining))
            headers.add("anthropic-ratelimit-\(kind)-reset", RFC3339.format(epochSeconds: wall + reading.resetSeconds))
        }
        return headers
    }

    func drop(_ responder: HTTPResponder) {
        stats.reset()
        responder.abortConnection()
    }

    func send(_ responder: HTTPResponder, _ error: AnthropicError, headers: HTTPHeaders) {
        send(responder, status: error.status, headers: headers, json: error.jsonBody)
    }

    func send(_ responder: HTTPResponder, _ error: WireError, headers: HTTPHeaders) {
        var merged = headers
        for header in error.headers { merged.set(header.name, header.value) }
        send(responder, status: error.status, headers: merged, json: error.json)
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
