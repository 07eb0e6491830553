import BallastCore
import Cache
import HTTPServer
import Rules
import JSON

/// Applies the degradation level in force to one `POST /v1/messages` request: shed it, answer
/// it locally (stale cache or template), or rewrite it (cap `max_tokens`, fall back to a
/// cheaper model). Whatever it does is said in the `x-ballast-degraded` header.
struct Degrader {
    enum Outcome {
        /// Send upstream (maybe rewritten); `header` is the `x-ballast-degraded` value, if any.
        case forward(body: [UInt8], model: String?, header: String?)
        /// Answer now, without an upstream call.
        case answer(HTTPResponse)
    }

    let policy: DegradationPolicy
    let fallback: (String) -> String?

    func apply(
        headers: HTTPHeaders, body: [UInt8], model: String?, wantsStream: Bool,
        cacheLookup: () -> [UInt8]?
    ) -> Outcome {
        guard policy.isDegraded else { return .forward(body: body, model: model, header: nil) }
        if let shed = policy.shed, let priority = headers["x-ballast-priority"]?.lowercased(),
            shed.priorities.contains(priority)
        {
            let error = AnthropicError(
                .overloaded, "Ballast is shedding \(priority)-priority requests while degraded",
                status: shed.status)
            var responseHeaders = HTTPHeaders()
            responseHeaders.add("content-type", "application/json")
            responseHeaders.add("retry-after", String(max(1, Int(shed.retryAfter.seconds.rounded(.up)))))
            responseHeaders.add("x-ballast-degraded", DegradationPolicy.headerValue(level: policy.level, applied: ["shed"]))
            return .answer(HTTPResponse(status: error.status, headers: responseHeaders, text: error.jsonBody))
        }
        if let answer = policy.answer {
            if answer.cache, let cached = cacheLookup() {
                var response = CachedAnswerResponse.make(body: cached, wantsStream: wantsStream, source: "stale")
                response.headers.set("x-ballast-degraded", DegradationPolicy.headerValue(level: policy.level, applied: ["cache"]))
                return .answer(response)
            }
            if let template = answer.template {
                let message = Self.templateMessage(template.text, model: model ?? "ballast-template")
                var response = CachedAnswerResponse.make(body: message, wantsStream: wantsStream, source: "template")
                response.status = template.status
                response.headers.set("x-ballast-degraded", DegradationPolicy.headerValue(level: policy.level, applied: ["template"]))
                return .answer(response)
            }
        }
        var applied: [String] = []
        guard var json = try? JSONParser.parse(body) else { return .forward(body: body, model: model, header: nil) }
        if let cap = policy.maxTokens, let asked = json["max_tokens"]?.intValue, asked > cap {
            json.set("max_tokens", .integer(cap))
            applied.append("max_tokens=\(cap)")
        }
        var newModel = model
        if policy.fallback, let model, let replacement = fallback(model), replacement != model {
            json.set("model", .string(replacement))
            newModel = replacement
            applied.append("model=\(replacement)")
        }
        guard !applied.isEmpty else { return .forward(body: body, model: model, header: nil) }
        return .forward(
            body: json.serialized(), model: newModel,
            header: DegradationPolicy.headerValue(level: policy.level, applied: applied))
    }

    /// A complete Message holding the configured template text.
    static func templateMessage(_ text: String, model: String) -> [UInt8] {
        Array(
            #"{"id":"msg_ballast_template","type":"message","role":"assistant","model":"\#(JSONText.escape(model))","content":[{"type":"text","text":"\#(JSONText.escape(text))"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":0,"output_tokens":0}}"#
                .utf8)
    }
}
