public import BallastConfig
public import BallastCore
public import Upstream

/// One `bedrock` or `vertex` region: which models it serves, and for each attempt the URL,
/// body and signed headers the service takes (`prepare`), and the translator its answer goes
/// through. Everything above it (router, rules, metrics, store) sees a region like any other.
public final class CloudRegion: Sendable {
    public enum Auth: Sendable, CustomStringConvertible {
        /// `AWS_ACCESS_KEY_ID` / `AWS_SECRET_ACCESS_KEY` / `AWS_SESSION_TOKEN`: SigV4.
        case awsKeys(AWSCredentials)
        /// Temporary keys from STS for a web identity: SigV4.
        case awsWebIdentity(RefreshingCredential)
        /// `AWS_BEARER_TOKEN_BEDROCK`: a Bedrock API key, sent as a bearer token.
        case awsBearer(String)
        /// A Google access token (service account or metadata server).
        case google(RefreshingCredential)

        public var description: String {
            switch self {
            case .awsKeys(let keys): "\(keys)"
            case .awsWebIdentity(let credential): "\(credential)"
            case .awsBearer: "Bedrock API key from AWS_BEARER_TOKEN_BEDROCK (redacted)"
            case .google(let credential): "\(credential)"
            }
        }
    }

    public enum Preparation: Sendable {
        case ready(url: String, headers: HTTPHeaders, body: [UInt8])
        /// The credential is being refreshed; ask again when `notifyWhenReady` fires.
        case wait
        case unavailable(String)
    }

    public let name: String
    public let kind: RegionKind
    public let endpoint: String
    public let auth: Auth
    let settings: CloudRegionConfig
    let signer: SigV4Signer?
    let clock: any TimeSource
    /// `host[:port]` of the endpoint: signed, and sent as the `host` header so libcurl sends exactly it.
    let authority: String
    private let onError: @Sendable (AnthropicError, UpstreamResponseHead) -> Void

    public init(
        name: String, kind: RegionKind, settings: CloudRegionConfig, auth: Auth, clock: any TimeSource,
        onError: @escaping @Sendable (AnthropicError, UpstreamResponseHead) -> Void = { _, _ in }
    ) {
        self.name = name
        self.kind = kind
        self.settings = settings
        self.auth = auth
        self.clock = clock
        self.onError = onError
        endpoint = settings.resolvedEndpoint(kind: kind)
        authority = String(endpoint.split(separator: "/", omittingEmptySubsequences: true).dropFirst().first ?? "")
        signer = kind == .bedrock ? SigV4Signer(service: "bedrock", region: settings.awsRegion ?? "us-east-1") : nil
    }

    /// The service's name for `model`: the first `models` pattern that matches; nil when none
    /// does (and the model is then never sent here).
    public func target(model: String?) -> String? {
        guard let model else { return nil }
        return settings.models.first { Glob.matches($0.pattern, model) }?.target
    }

    /// Only Messages calls translate; batches, files, token counting and model lists stay on
    /// `anthropic` regions.
    public func serves(method: String, path: String, model: String?) -> Bool {
        method == "POST" && (path == "/v1/messages" || path == "/v1/messages/") && target(model: model) != nil
    }

    /// The attempt's request: `body` is the client's (gateway-checked JSON), `headers` the
    /// headers Ballast would send to the Anthropic API (only `anthropic-beta` is carried over).
    public func prepare(model: String?, body: [UInt8], headers: HTTPHeaders, stream: Bool) -> Preparation {
        guard let target = target(model: model) else {
            return .unavailable("region \(name) has no model mapping for \(model ?? "a request without a model")")
        }
        var out = HTTPHeaders()
        out.add("host", authority)
        out.add("content-type", "application/json")
        out.add("accept", "application/json")
        switch kind {
        case .bedrock:
            let translated: BedrockTranslation.Output
            do {
                translated = try BedrockTranslation.translate(
                    body: body, betaHeader: headers["anthropic-beta"], modelID: target,
                    stream: stream)
            } catch {
                return .unavailable("region \(name): \(error)")
            }
            let credentials: AWSCredentials
            switch auth {
            case .awsBearer(let token):
                out.add("authorization", "Bearer \(token)")
                return .ready(url: endpoint + translated.path, headers: out, body: translated.body)
            case .awsKeys(let keys):
                credentials = keys
            case .awsWebIdentity(let refreshing):
                switch refreshing.token() {
                case .ready(let value):
                    guard let keys = STSWebIdentitySource.credentials(from: value) else { return .unavailable("region \(name): bad STS credentials") }
                    credentials = keys
                case .wait:
                    return .wait
                case .unavailable(let reason):
                    return .unavailable("region \(name) has no valid AWS credentials: \(reason)")
                }
            case .google:
                return .unavailable("region \(name): Google credentials on a Bedrock region")
            }
            signer?.sign(
                method: "POST", path: translated.path, headers: &out, body: translated.body, credentials: credentials,
                unixSeconds: clock.wallTime())
            return .ready(url: endpoint + translated.path, headers: out, body: translated.body)
        case .vertex:
            let translated: VertexTranslation.Output
            do {
                translated = try VertexTranslation.translate(
                    body: body, project: settings.project ?? "", location: settings.location ?? "global",
                    model: target, stream: stream)
            } catch {
                return .unavailable("region \(name): \(error)")
            }
            if let beta = headers["anthropic-beta"] { out.add("anthropic-beta", beta) }
            guard case .google(let refreshing) = auth else { return .unavailable("region \(name): no Google credentials") }
            switch refreshing.token() {
            case .ready(let token):
                out.add("authorization", "Bearer \(token)")
                return .ready(url: endpoint + translated.path, headers: out, body: translated.body)
            case .wait:
                return .wait
            case .unavailable(let reason):
                return .unavailable("region \(name) has no valid Google access token: \(reason)")
            }
        case .anthropic:
            return .unavailable("region \(name) is an anthropic region")
        }
    }

    /// Runs `action` when a credential refresh under way ends (at once when none is).
    public func notifyWhenReady(_ action: @escaping @Sendable () -> Void) {
        switch auth {
        case .awsWebIdentity(let refreshing), .google(let refreshing): refreshing.notifyWhenReady(action)
        case .awsKeys, .awsBearer: action()
        }
    }

    /// The service refused the credential in `sent`: true when a fresh one is on its way.
    public func reportUnauthorized(_ sent: HTTPHeaders) -> Bool {
        switch auth {
        case .google(let refreshing):
            guard let bearer = sent["authorization"], bearer.hasPrefix("Bearer ") else { return false }
            return refreshing.reportUnauthorized(String(bearer.dropFirst("Bearer ".count)))
        case .awsWebIdentity(let refreshing):
            // The refresher knows the value (key, secret, token); the request shows the token.
            guard case .ready(let value) = refreshing.token(), let current = STSWebIdentitySource.credentials(from: value) else { return true }
            guard current.sessionToken == sent["x-amz-security-token"] else { return true }
            return refreshing.reportUnauthorized(value)
        case .awsKeys, .awsBearer:
            return false
        }
    }

    /// The delegate the attempt's transfer reports to.
    public func translator(wrapping inner: any UpstreamTransferDelegate) -> CloudResponseTranslator {
        CloudResponseTranslator(wrapping: inner, service: kind == .bedrock ? .bedrock : .vertex, onError: onError)
    }
}
