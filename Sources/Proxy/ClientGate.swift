package import BallastConfig
package import BallastCore
import Cache
import Dispatch
package import HTTPServer
import Metrics
package import Resilience
package import SharedState
import Synchronization
import RulesRuntime
import Crypto

/// Inbound authentication and per-key limits (`clients`): which configured key a request
/// carries, whether it may use the model it names, and whether its rate limits and daily
/// budget admit it now.
///
/// Keys are held as SHA-256 hashes and compared in constant time against every configured
/// hash (no early exit, no dictionary lookup on secret bytes), so timing tells nothing about
/// which bytes matched. The key set can be replaced at run time (`replace`, on SIGHUP or the
/// control API's reload); requests already admitted keep their ticket and settle against the
/// key's name, whose buckets and spend survive the reload.
///
/// With `shared.redis` the buckets and the day's spend live in Redis (`SharedClientLimits`):
/// every instance admits from the same buckets. While Redis is out of reach each instance
/// decides from its own buckets with the key's full limits (so N instances admit up to N
/// times a key's rate until Redis is back) and counts each such decision in
/// `ballast_client_shared_fallbacks_total`.
package final class ClientGate: Sendable {
    /// Who a request is, before limits.
    enum Identity: Sendable {
        /// No key is required and the request carries none of the configured ones.
        case anonymous
        case key(ClientKey)
        /// 401: `reason` is the metric label.
        case refused(AnthropicError, reason: String)
    }

    package enum Admission: Sendable {
        case admitted(ClientTicket)
        case refused(HTTPResponse)
    }

    /// What the control API and the status page show of one key: never the key or its hash.
    package struct Status: Sendable {
        package var name: String
        package var limits: ClientLimits
        package var models: [String]
        package var requests: Int
        package var inputTokens: Int
        package var outputTokens: Int
        package var refusals: [String: Int]
        package var readings: [ClientAllowance.Reading]
        package var budgetRemaining: Double?
        package var budgetResetsAt: Double?
        package var spentToday: Double
    }

    private struct State {
        var requireKey: Bool
        var keys: [ClientKey]
        var allowances: [String: ClientAllowance] = [:]
        /// Redis' last word on each key (shared mode): its spend today.
        var sharedSpent: [String: (day: Int64, spent: Double)] = [:]
        /// ... and the levels of its buckets (requests, input, output) after its last admission.
        var sharedLevels: [String: (at: MonotonicInstant, levels: [Double])] = [:]
        /// Requests admitted and refused, by key name (kept across reloads).
        var admitted: [String: Int] = [:]
        var refusals: [String: [String: Int]] = [:]
    }

    private let state: Mutex<State>
    private let clock: any TimeSource
    private let shared: SharedClientLimits?
    private let metrics: GatewayMetrics?

    package init(
        config: ClientsConfig, environment: [String: String], clock: any TimeSource, shared: SharedClientLimits? = nil,
        metrics: GatewayMetrics? = nil
    ) throws {
        self.clock = clock
        self.shared = shared
        self.metrics = metrics
        let keys = try Self.resolve(config, environment: environment)
        let now = clock.now()
        let wall = clock.wallTime()
        var initial = State(requireKey: config.requireKey, keys: keys)
        for key in keys { initial.allowances[key.name] = ClientAllowance(limits: key.limits, now: now, wallTime: wall) }
        state = Mutex(initial)
    }

    /// True when requests are checked at all (keys configured, or a key required).
    package var isActive: Bool { state.withLock { $0.requireKey || !$0.keys.isEmpty } }

    package var keyNames: [String] { state.withLock { $0.keys.map(\.name) } }

    /// Replaces the key set (rotation): all or nothing. Returns a line for the log (names and
    /// counts, never a key).
    package func replace(_ config: ClientsConfig, environment: [String: String]) throws -> String {
        let keys = try Self.resolve(config, environment: environment)
        let now = clock.now()
        let wall = clock.wallTime()
        state.withLock { state in
            state.requireKey = config.requireKey
            state.keys = keys
            var allowances: [String: ClientAllowance] = [:]
            for key in keys {
                if var kept = state.allowances[key.name] {
                    kept.reshape(key.limits, now: now)
                    allowances[key.name] = kept
                } else {
                    allowances[key.name] = ClientAllowance(limits: key.limits, now: now, wallTime: wall)
                }
            }
            state.allowances = allowances
        }
        return "clients: \(keys.count) key(s) loaded (\(keys.map(\.name).joined(separator: ", ")))"
    }

    /// The key a request carries (`x-api-key`, else `Authorization: Bearer`).
    func identify(_ headers: HTTPHeaders) -> Identity {
        let (requireKey, keys) = state.withLock { ($0.requireKey, $0.keys) }
        guard let presented = KeyFingerprint.clientKey(headers) else {
            if !requireKey { return .anonymous }
            return .refused(
                AnthropicError(
                    .authentication,
                    "no client key: send the key Ballast gave you as x-api-key or "
                        + "Authorization: Bearer"), reason: "missing_key")
        }
        let hash = Digest.sha256(presented)
        var match: ClientKey?
        for key in keys where Digest.constantTimeEqual(key.hash, hash) { match = key }
        if let match { return .key(match) }
        if !requireKey { return .anonymous }
        return .refused(AnthropicError(.authentication, "invalid client key"), reason: "unknown_key")
    }

    /// 403 when the key may not use what the request asks for.
    func permission(_ key: ClientKey, model: String?, method: String, path: String) -> AnthropicError? {
        if let model, !key.allows(model: model) {
            return AnthropicError(
                .permission,
                "client key '\(key.name)' may not use model \(model) (allowed: "
                    + "\(key.models.joined(separator: ", ")))")
        }
        if !key.models.isEmpty, method == "POST", path == "/v1/messages/batches" {
            return AnthropicError(
                .permission,
                "client key '\(key.name)' is limited to some models and Ballast does not "
                    + "check the models inside a batch, so it may not create batches")
        }
        return nil
    }

    /// Counts a refusal that happened before admission (401, 403).
    func countRefusal(client: String?, reason: String) {
        metrics?.clientRefusals.labels(client ?? "none", reason).increment()
        guard let client else { return }
        state.withLock { $0.refusals[client, default: [:]][reason, default: 0] += 1 }
    }

    /// The refusal reason (a metric label value) of a rate-limited dimension.
    static func reason(_ dimension: ClientLimitDimension) -> String {
        switch dimension {
        case .requests: "rate_requests"
        case .inputTokens: "rate_input_tokens"
        case .outputTokens: "rate_output_tokens"
        }
    }

    /// Admits one request of `key` costing `cost`, or answers why not. Calls `completion`
    /// once: at once when deciding locally, on Redis' thread in shared mode.
    func admit(_ key: ClientKey, cost: RequestCost, _ completion: @escaping @Sendable (Admission) -> Void) {
        let wall = clock.wallTime()
        let day = ClientAllowance.day(of: wall)
        if let shared, shared.isUp {
            let limits = ClientLimitDimension.allCases.map { key.limits.perMinute($0) }
            shared.admit(
                name: key.name, limits: limits, input: cost.inputTokens, output: cost.outputTokens,
                budget: key.limits.tokensPerDay, day: day
            ) { [self] verdict in
                // Redis answered on its own thread: the rest of the request (cache lookup,
                // hand-off to the upstream loop) must not hold it up.
                DispatchQueue.global().async { [self] in
                    completion(sharedDecided(verdict, key: key, cost: cost, day: day))
                }
            }
            return
        }
        completion(admitLocally(key, cost: cost, fallback: shared != nil))
    }

    /// Redis' verdict (nil: the script failed, so decide locally) as an admission.
    private func sharedDecided(
        _ verdict: SharedClientLimits.Verdict?, key: ClientKey, cost: RequestCost,
        day: Int64
    ) -> Admission {
        guard let verdict else { return admitLocally(key, cost: cost, fallback: true) }
        let now = clock.now()
        state.withLock {
            $0.sharedSpent[key.name] = (day, verdict.spent)
            $0.sharedLevels[key.name] = (now, verdict.levels)
        }
        switch verdict.kind {
        case .admitted:
            state.withLock { $0.admitted[key.name, default: 0] += 1 }
            return .admitted(ClientTicket(name: key.name, charged: cost, sharedDay: day, gate: self))
        case .overBudget:
            return .refused(budgetRefusal(key, resetsAt: Double(day + 1) * 86400, wall: clock.wallTime()))
        case .rateLimited(let index, let retryAfter):
            let readings = Self.readings(key.limits, levels: verdict.levels, after: 0)
            return .refused(
                rateRefusal(
                    key, dimension: ClientLimitDimension.allCases[min(2, index)], retryAfter: retryAfter,
                    readings: readings, wall: clock.wallTime()))
        }
    }

    private func admitLocally(_ key: ClientKey, cost: RequestCost, fallback: Bool) -> Admission {
        if fallback { metrics?.clientSharedFallbacks.labels().increment() }
        let now = clock.now()
        let wall = clock.wallTime()
        let (decision, readings) = state.withLock { state -> (ClientAllowance.Decision, [ClientAllowance.Reading]) in
            var allowance = state.allowances[key.name] ?? ClientAllowance(limits: key.limits, now: now, wallTime: wall)
            defer { state.allowances[key.name] = allowance }
            let decision = allowance.admit(cost, now: now, wallTime: wall)
            return (decision, allowance.readings(now: now))
        }
        switch decision {
        case .admit(let charged):
            state.withLock { $0.admitted[key.name, default: 0] += 1 }
            return .admitted(ClientTicket(name: key.name, charged: charged, sharedDay: nil, gate: self))
        case .overBudget(let resetsAt):
            return .refused(budgetRefusal(key, resetsAt: resetsAt, wall: wall))
        case .rateLimited(let dimension, let retryAfter):
            return .refused(rateRefusal(key, dimension: dimension, retryAfter: retryAfter, readings: readings, wall: wall))
        }
    }

    /// The key's own `anthropic-ratelimit-*` headers as its buckets stand now (every answer to
    /// a client key carries these instead of the organisation's, which are Ballast's business
    /// and would tell one team about everyone's traffic).
    func rateLimitHeaders(for name: String) -> [(name: String, value: String)] {
        let now = clock.now()
        let wall = clock.wallTime()
        let readings = state.withLock { state -> [ClientAllowance.Reading] in
            guard let key = state.keys.first(where: { $0.name == name }) else { return [] }
            if shared != nil, let levels = state.sharedLevels[name] {
                return Self.readings(key.limits, levels: levels.levels, after: now.seconds(since: levels.at))
            }
            return state.allowances[name]?.readings(now: now) ?? []
        }
        return Self.headerFields(readings, wall: wall)
    }

    static func headerFields(_ readings: [ClientAllowance.Reading], wall: Double) -> [(name: String, value: String)] {
        readings.flatMap { reading -> [(name: String, value: String)] in
            let prefix = "anthropic-ratelimit-" + reading.dimension.rawValue
            return [
                (prefix + "-limit", String(Int(reading.limit))), (prefix + "-remaining", String(Int(reading.remaining))),
                (prefix + "-reset", RFC3339Timestamp.format(epochSeconds: wall + reading.secondsToFull)),
            ]
        }
    }

    /// 429 with the key's own `anthropic-ratelimit-*` headers, so the SDK paces itself:
    /// `retry-after` in whole seconds (at least 1), `retry-after-ms` (read first by the SDKs)
    /// with the true wait.
    private func rateRefusal(
        _ key: ClientKey, dimension: ClientLimitDimension, retryAfter: Double,
        readings: [ClientAllowance.Reading], wall: Double
    ) -> HTTPResponse {
        countRefusal(client: key.name, reason: Self.reason(dimension))
        let seconds = max(1, Int(retryAfter.rounded(.up)))
        var headers = HTTPHeaders()
        headers.add("retry-after", String(seconds))
        headers.add("retry-after-ms", String(max(1, Int((retryAfter * 1000).rounded(.up)))))
        for field in Self.headerFields(readings, wall: wall) { headers.add(field.name, field.value) }
        let perMinute = key.limits.perMinute(dimension).map { String(Int($0)) } ?? "?"
        let error = AnthropicError(
            .rateLimit,
            "client key '\(key.name)' is over its \(dimension.rawValue) rate limit "
                + "(\(perMinute) per minute); retry after \(seconds)s")
        return .json(error.status, error.jsonBody, headers: headers)
    }

    /// 429 for a spent budget: not worth retrying before the reset (`x-should-retry: false`
    /// stops the SDKs' own retries).
    private func budgetRefusal(_ key: ClientKey, resetsAt: Double, wall: Double) -> HTTPResponse {
        countRefusal(client: key.name, reason: "budget")
        var headers = HTTPHeaders()
        headers.add("retry-after", String(max(1, Int((resetsAt - wall).rounded(.up)))))
        headers.add("x-should-retry", "false")
        let budget = key.limits.tokensPerDay.map { String(Int($0)) } ?? "?"
        let error = AnthropicError(
            .rateLimit,
            "client key '\(key.name)' has spent its daily budget of \(budget) tokens; "
                + "it resets at \(RFC3339Timestamp.format(epochSeconds: resetsAt)) (UTC midnight)")
        return .json(error.status, error.jsonBody, headers: headers)
    }

    /// Readings from bucket levels Redis returned `after` seconds ago (refilled since).
    static func readings(_ limits: ClientLimits, levels: [Double], after seconds: Double) -> [ClientAllowance.Reading] {
        ClientLimitDimension.allCases.enumerated().compactMap { offset, dimension -> ClientAllowance.Reading? in
            guard let perMinute = limits.perMinute(dimension), offset < levels.count else { return nil }
            let level = min(perMinute, levels[offset] + perMinute / 60 * seconds)
            return ClientAllowance.Reading(
                dimension: dimension, limit: perMinute, remaining: max(0, level).rounded(.down),
                secondsToFull: max(0, perMinute - level) / (perMinute / 60))
        }
    }

    /// A ticket's answer is known: refunds what was charged beyond the real usage.
    func settle(_ ticket: ClientTicket, used: RequestCost) {
        metrics?.clientTokens.labels(ticket.name, "input").increment(by: Int(used.inputTokens))
        metrics?.clientTokens.labels(ticket.name, "output").increment(by: Int(used.outputTokens))
        let now = clock.now()
        let wall = clock.wallTime()
        if let day = ticket.sharedDay, let shared {
            let limits = state.withLock { state in state.keys.first { $0.name == ticket.name }?.limits }
            guard let limits else { return }
            shared.settle(
                name: ticket.name, limits: ClientLimitDimension.allCases.map { limits.perMinute($0) },
                inputRefund: ticket.charged.inputTokens - used.inputTokens,
                outputRefund: ticket.charged.outputTokens - used.outputTokens,
                spendChange: used.inputTokens + used.outputTokens - ticket.charged.inputTokens - ticket.charged.outputTokens,
                day: day)
            return
        }
        state.withLock { state in
            state.allowances[ticket.name]?.settle(charged: ticket.charged, used: used, now: now, wallTime: wall)
        }
    }

    /// Every key's limits, use and budget, by name.
    package func statuses() -> [Status] {
        let now = clock.now()
        let wall = clock.wallTime()
        let today = ClientAllowance.day(of: wall)
        let snapshot = state.withLock { state in
            state.keys.map { key in
                (
                    key, state.allowances[key.name], state.sharedSpent[key.name], state.admitted[key.name] ?? 0,
                    state.refusals[key.name] ?? [:], state.sharedLevels[key.name]
                )
            }
        }
        return snapshot.map { key, allowance, shared, admitted, refusals, levels in
            var spent = allowance?.budgetLeft(wallTime: wall).map { (key.limits.tokensPerDay ?? 0) - $0.remaining } ?? 0
            if let shared, shared.day == today, self.shared != nil { spent = shared.spent }
            let budget = key.limits.tokensPerDay.map { max(0, $0 - spent) }
            return Status(
                name: key.name, limits: key.limits, models: key.models, requests: admitted,
                inputTokens: metrics?.clientTokens.labels(key.name, "input").current ?? 0,
                outputTokens: metrics?.clientTokens.labels(key.name, "output").current ?? 0,
                refusals: refusals,
                readings: self.shared != nil && levels != nil
                    ? Self.readings(key.limits, levels: levels?.levels ?? [], after: now.seconds(since: levels?.at ?? now))
                    : allowance?.readings(now: now) ?? [],
                budgetRemaining: budget, budgetResetsAt: key.limits.tokensPerDay.map { _ in Double(today + 1) * 86400 },
                spentToday: spent)
        }
    }

    /// The configured keys, with each key read from its environment variable and hashed.
    static func resolve(_ config: ClientsConfig, environment: [String: String]) throws -> [ClientKey] {
        try config.keys.map { entry in
            let hash: [UInt8]
            if let name = entry.keyEnv {
                guard let key = environment[name], !key.isEmpty else {
                    throw GatewayStartupError.missingCredential("clients.keys '\(entry.name)': environment variable \(name) is not set")
                }
                hash = Digest.sha256(key)
            } else if let hex = entry.keySHA256, let bytes = Hex.decode(hex) {
                hash = bytes
            } else {
                throw GatewayStartupError.missingCredential("clients.keys '\(entry.name)' has neither key_env nor key_sha256")
            }
            return ClientKey(
                name: entry.name, hash: hash, models: entry.models,
                limits: ClientLimits(
                    requestsPerMinute: entry.requestsPerMinute.map(Double.init),
                    inputTokensPerMinute: entry.inputTokensPerMinute.map(Double.init),
                    outputTokensPerMinute: entry.outputTokensPerMinute.map(Double.init),
                    tokensPerDay: entry.tokensPerDay.map(Double.init)))
        }
    }
}
