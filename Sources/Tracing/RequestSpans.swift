public import BallastCore

/// Turns a finished request's records into its spans: one SERVER span for the client's
/// request and a CLIENT span per upstream attempt, with the OpenTelemetry GenAI semantic
/// conventions' attributes (`gen_ai.*`) and Ballast's own (`ballast.*`).
///
/// Only the records are read, and they hold no body, no header and no key: a prompt or an
/// answer cannot reach an attribute. The client is named by its key's name or credential
/// fingerprint, never by the key.
public enum RequestSpans {
    /// - Parameters:
    ///   - path: the request's path without its query.
    ///   - end: wall time the request was recorded (the end of attempts still running).
    ///   - fallbackModel: the model a circuit fell back to, when one did.
    public static func build(
        trace: RequestTrace, request: RequestRecord, attempts: [AttemptRecord], facts: [AttemptSpanFacts],
        method: String, path: String, maxTokens: Int?, fallbackModel: String? = nil
    ) -> [Span] {
        let flags: UInt8 = trace.sampled ? 1 : 0
        let start = Span.nanos(request.time)
        var server: [(key: String, value: SpanValue)] = [
            ("http.request.method", .string(method)),
            ("url.path", .string(path)),
            ("http.response.status_code", .int(request.status)),
        ]
        server += genAI(model: request.model, maxTokens: maxTokens, usage: request.usage)
        server += [
            ("ballast.route", .string(request.route)),
            ("ballast.attempts", .int(request.attempts)),
            ("ballast.outcome", .string(request.outcome.rawValue)),
            ("ballast.streamed", .bool(request.streamed)),
            ("ballast.cache_hit", .bool(request.cacheHit)),
        ]
        if let region = request.region { server.append(("ballast.region", .string(region))) }
        if let client = request.client ?? request.credential { server.append(("ballast.client", .string(client))) }
        if let cost = request.costUSD { server.append(("ballast.cost_usd", .double(cost))) }
        if let fallbackModel { server.append(("ballast.fallback_model", .string(fallbackModel))) }
        if let errorType = request.errorType { server.append(("error.type", .string(errorType))) }
        // HTTP server spans are errors for 5xx answers only: a 4xx is the client's mistake.
        let serverStatus: Span.Status =
            request.status >= 500 || request.status == 0
            ? .error(request.errorType ?? "status \(request.status)") : .unset
        var spans = [
            Span(
                traceID: trace.traceID, spanID: trace.serverSpanID, parentSpanID: trace.parent?.spanID,
                parentIsRemote: trace.parent != nil, traceState: trace.parent?.traceState,
                name: "\(method) \(path)", kind: .server, startNanos: start,
                endNanos: Span.nanos(request.time + request.latency), attributes: server, status: serverStatus,
                flags: flags)
        ]
        for (attempt, fact) in zip(attempts, facts) {
            var attributes: [(key: String, value: SpanValue)] = [("http.request.method", .string(method))]
            if attempt.status > 0 { attributes.append(("http.response.status_code", .int(attempt.status))) }
            attributes += genAI(model: attempt.model, maxTokens: maxTokens, usage: attempt.spend.usage)
            attributes += [
                ("ballast.region", .string(attempt.region)),
                ("ballast.attempt", .int(attempt.index)),
                ("ballast.attempt.kind", .string(fact.kind)),
                ("ballast.outcome", .string(attempt.outcome.rawValue)),
                ("ballast.cancelled", .bool(attempt.cancelled)),
            ]
            if fact.probe { attributes.append(("ballast.probe", .bool(true))) }
            if let state = fact.circuitState { attributes.append(("ballast.circuit_state", .string(state))) }
            if let reason = attempt.spend.overhead { attributes.append(("ballast.overhead", .string(reason.rawValue))) }
            if let cost = attempt.spend.costUSD { attributes.append(("ballast.cost_usd", .double(cost))) }
            if let errorType = attempt.errorType { attributes.append(("error.type", .string(errorType))) }
            let failed = attempt.outcome != .success && !(attempt.cancelled && attempt.errorType == nil)
            spans.append(
                Span(
                    traceID: trace.traceID, spanID: fact.spanID, parentSpanID: trace.serverSpanID,
                    name: "chat \(attempt.model ?? "unknown")", kind: .client, startNanos: Span.nanos(attempt.time),
                    endNanos: Span.nanos(attempt.time + attempt.latency), attributes: attributes,
                    status: failed ? .error(attempt.errorType ?? attempt.outcome.rawValue) : .unset, flags: flags))
        }
        return spans
    }

    /// The GenAI semantic conventions' request and usage attributes.
    static func genAI(model: String?, maxTokens: Int?, usage: MessageUsage) -> [(key: String, value: SpanValue)] {
        var attributes: [(key: String, value: SpanValue)] = [
            ("gen_ai.system", .string("anthropic")),
            ("gen_ai.provider.name", .string("anthropic")),
            ("gen_ai.operation.name", .string("chat")),
        ]
        if let model { attributes.append(("gen_ai.request.model", .string(model))) }
        if let maxTokens { attributes.append(("gen_ai.request.max_tokens", .int(maxTokens))) }
        if usage.state == .complete || usage.state == .partial {
            attributes += [
                ("gen_ai.usage.input_tokens", .int(usage.inputTokens)),
                ("gen_ai.usage.output_tokens", .int(usage.outputTokens)),
                ("gen_ai.usage.cache_creation.input_tokens", .int(usage.cacheCreationInputTokens)),
                ("gen_ai.usage.cache_read.input_tokens", .int(usage.cacheReadInputTokens)),
            ]
        }
        attributes.append(("ballast.usage", .string(usage.state.rawValue)))
        return attributes
    }
}
