import BallastCore
import HTTPServer
import JSON
import Synchronization

/// What the simulator's cloud regions need beyond their own config: the accounts whose
/// credentials they check.
struct CloudAccess: Sendable {
    var aws: SimulatedAWSAccount?
    /// The Google token endpoint and the tokens it issued, shared by every Vertex region.
    var google: GoogleTokenEndpoint?
}

/// A cloud request's route: the model named in the path and whether it streams.
struct CloudRoute: Sendable, Equatable {
    var model: String
    var stream: Bool
}

extension RegionEngine {
    /// Bedrock and Vertex regions: their paths, their credentials, their body rewrites, then
    /// the same faults, limits and pacing as the Messages API, answered in their shapes.
    func cloud(_ request: HTTPRequest, _ responder: HTTPResponder) {
        if case .vertex = config.kind, request.path == "/token" {
            googleToken(request, responder)
            return
        }
        stats.received()
        let requestID = ids.make("req_")
        let headers = cloudHeaders(requestID: requestID)
        let outage = state.withLock { s in effective(s, elapsed: clock.now().seconds(since: s.origin)).outage }
        if outage {
            drop(responder)
            return
        }
        if let refusal = cloudAuthenticationError(request) {
            send(responder, refusal, headers: headers)
            return
        }
        guard request.method == "POST", let route = cloudRoute(request) else {
            send(responder, dialect.notFound("No route for \(request.method) \(request.path)"), headers: headers)
            return
        }
        if request.bodyExceededLimit {
            send(
                responder, dialect.from(AnthropicError(.requestTooLarge, "Request exceeds the maximum allowed number of bytes.")),
                headers: headers)
            return
        }
        let parsed: MessagesRequest
        switch cloudBody(request.body, route: route) {
        case .failure(let error):
            send(responder, error, headers: headers)
            return
        case .success(let value):
            parsed = value
        }
        let overrides: TestOverrides
        switch TestOverrides.parse(request.headers) {
        case .failure(let error):
            send(responder, dialect.from(error), headers: headers)
            return
        case .success(let value):
            overrides = value
        }
        answerMessages(parsed, overrides: overrides, requestID: requestID, credential: cloudCredential, responder)
    }

    /// The headers of every answer of a cloud region: Bedrock's request id and its own `Date`
    /// (the service's time, which a client reads its clock skew from).
    func cloudHeaders(requestID: String) -> HTTPHeaders {
        guard dialect == .bedrock else { return [:] }
        return [
            "x-amzn-requestid": requestID,
            "date": HTTPDate.format(unixSeconds: clock.wallTime() + (cloud.aws?.clockAhead ?? 0)),
        ]
    }

    /// Whose buckets a cloud request drains: the account's (quotas are per account or
    /// project, region and model; say `scope: region` for the region part).
    var cloudCredential: String {
        switch config.kind {
        case .bedrock: "aws:" + (cloud.aws?.accessKeyID ?? "")
        case .vertex: "gcp:" + (cloud.google?.account.clientEmail ?? "")
        case .anthropic: ""
        }
    }

    func cloudAuthenticationError(_ request: HTTPRequest) -> WireError? {
        switch config.kind {
        case .anthropic:
            return nil
        case .bedrock(let awsRegion):
            guard let aws = cloud.aws else { return .bedrock(403, "UnrecognizedClientException", "No AWS account is configured.") }
            return SigV4Check(account: aws, awsRegion: awsRegion).refusal(request, now: clock.wallTime() + aws.clockAhead)
        case .vertex:
            let unauthenticated = WireError.google(
                401, "UNAUTHENTICATED",
                "Request had invalid authentication credentials. "
                    + "Expected OAuth 2 access token, login cookie or other valid authentication credential.")
            guard let google = cloud.google else { return unauthenticated }
            return google.tokens.check(Self.bearerToken(request.headers), now: clock.now()) == .valid ? nil : unauthenticated
        }
    }

    /// `/model/{id}/invoke[-with-response-stream]` (the id percent-decoded: an inference
    /// profile ARN travels with `%2F`), or Vertex's model path in this region's project and
    /// location with `:rawPredict` / `:streamRawPredict`.
    func cloudRoute(_ request: HTTPRequest) -> CloudRoute? {
        switch config.kind {
        case .anthropic:
            return nil
        case .bedrock:
            let parts = request.rawPath.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count == 4, parts[0].isEmpty, parts[1] == "model",
                let model = FormURLEncoding.decode(Array(parts[2].utf8)), !model.isEmpty
            else { return nil }
            switch parts[3] {
            case "invoke": return CloudRoute(model: model, stream: false)
            case "invoke-with-response-stream": return CloudRoute(model: model, stream: true)
            default: return nil
            }
        case .vertex(let project, let location):
            let prefix = "/v1/projects/\(project)/locations/\(location)/publishers/anthropic/models/"
            guard request.path.hasPrefix(prefix) else { return nil }
            let rest = request.path.dropFirst(prefix.count)
            guard let colon = rest.lastIndex(of: ":") else { return nil }
            let model = String(rest[..<colon])
            guard !model.isEmpty, !model.contains("/") else { return nil }
            switch rest[rest.index(after: colon)...] {
            case "rawPredict": return CloudRoute(model: model, stream: false)
            case "streamRawPredict": return CloudRoute(model: model, stream: true)
            default: return nil
            }
        }
    }

    /// The rewritten body the cloud expects, back into a Messages request: Bedrock refuses a
    /// `model` or `stream` key (its path says both) and wants `anthropic_version:
    /// bedrock-2023-05-31` and betas as an `anthropic_beta` list of strings; Vertex refuses
    /// `model`, wants `anthropic_version: vertex-2023-10-16`, and `stream: true` exactly on
    /// `:streamRawPredict`. Then the Messages API's own validation.
    func cloudBody(_ body: [UInt8], route: CloudRoute) -> Result<MessagesRequest, WireError> {
        guard let root = try? JSONParser.parse(body), case .object(var members) = root else {
            return .failure(dialect.invalid("Malformed input request: the body must be a JSON object."))
        }
        func key(_ name: String) -> JSONValue? { members.first { $0.key == name }?.value }
        let version = dialect == .bedrock ? "bedrock-2023-05-31" : "vertex-2023-10-16"
        if key("model") != nil {
            return .failure(dialect.invalid("Malformed input request: extraneous key [model] is not permitted, please reformat your input and try again."))
        }
        guard let given = key("anthropic_version") else {
            return .failure(
                dialect.invalid("Malformed input request: #: required key [anthropic_version] not found, please reformat your input and try again."))
        }
        guard given.stringValue == version else {
            return .failure(dialect.invalid("Malformed input request: anthropic_version must be \(version), please reformat your input and try again."))
        }
        if dialect == .bedrock {
            if key("stream") != nil {
                return .failure(dialect.invalid("Malformed input request: extraneous key [stream] is not permitted, please reformat your input and try again."))
            }
            if let betas = key("anthropic_beta") {
                guard let list = betas.arrayValue, list.allSatisfy({ $0.stringValue != nil }) else {
                    return .failure(
                        dialect.invalid(
                            "Malformed input request: #/anthropic_beta: expected type: JSONArray of strings, please reformat your input and try again."))
                }
            }
        } else {
            let streamFlag = key("stream")?.boolValue ?? false
            if streamFlag != route.stream {
                return .failure(
                    dialect.invalid(
                        route.stream
                            ? "streamRawPredict requires \"stream\": true."
                            : "rawPredict does not stream: use streamRawPredict for \"stream\": true."))
            }
        }
        members.removeAll { ["anthropic_version", "anthropic_beta", "stream"].contains($0.key) }
        members.insert((key: "model", value: .string(route.model)), at: 0)
        members.append((key: "stream", value: .bool(route.stream)))
        switch MessagesRequest.parse(JSONValue.object(members).serialized()) {
        case .success(let request): return .success(request)
        case .failure(let error): return .failure(dialect.from(error))
        }
    }

    /// `POST /token` on a Vertex region: the service account's token endpoint.
    private func googleToken(_ request: HTTPRequest, _ responder: HTTPResponder) {
        guard request.method == "POST", let google = cloud.google else {
            send(responder, status: 404, headers: [:], json: #"{"error":"not_found"}"#, counted: false)
            return
        }
        let host = request.headers["host"] ?? ""
        let answer = google.answer(body: request.body, tokenURL: "http://\(host)/token", wallTime: clock.wallTime(), now: clock.now())
        send(responder, status: answer.status, headers: ["cache-control": "no-store"], json: answer.json, counted: false)
    }
}
