/// What a simulated region plays: the Anthropic API (the default), an Amazon Bedrock
/// runtime endpoint in one AWS region, or Google Vertex AI in one project and location
/// (docs/simulator.md, "Cloud regions").
public enum SimulatedRegionKind: Sendable, Equatable {
    case anthropic
    /// `POST /model/{id}/invoke[-with-response-stream]`, SigV4 scoped to `awsRegion`/`bedrock`.
    case bedrock(awsRegion: String)
    /// `POST /v1/projects/{project}/locations/{location}/publishers/anthropic/models/{m}:rawPredict`
    /// and `:streamRawPredict`, with a bearer token from the simulator's Google token endpoint.
    case vertex(project: String, location: String)

    /// The name the config uses.
    public var name: String {
        switch self {
        case .anthropic: "anthropic"
        case .bedrock: "bedrock"
        case .vertex: "vertex"
        }
    }
}

/// The AWS account the simulator's Bedrock regions check signatures against (top-level `aws`).
/// The simulator is a test double: its secret may live in its config.
public struct SimulatedAWSAccount: Sendable, Equatable {
    public var accessKeyID: String
    public var secretAccessKey: String
    /// When set, every request must carry it as `x-amz-security-token` (temporary credentials).
    public var sessionToken: String?
    /// When set, `Authorization: Bearer <this>` is accepted instead of a signature (a Bedrock API key).
    public var bearerToken: String?
    /// Seconds the service's clock runs ahead of the simulator's wall clock: signatures are
    /// judged, and `Date` headers written, by the service's time, so a client whose clock is
    /// behind meets "Signature expired" as it would on a host with a drifting clock.
    public var clockAhead: Double

    public init(
        accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil, bearerToken: String? = nil,
        clockAhead: Double = 0
    ) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
        self.bearerToken = bearerToken
        self.clockAhead = clockAhead
    }
}

/// The Google service account whose JWTs the simulator's token endpoint accepts (top-level `gcp`).
public struct SimulatedServiceAccount: Sendable, Equatable {
    /// The JWT's `iss`.
    public var clientEmail: String
    /// The account's public key (`BEGIN PUBLIC KEY` PEM): assertions must verify with it (RS256).
    public var publicKeyPEM: String
    /// `expires_in` of issued access tokens, in whole seconds.
    public var tokenTTL: Int

    public init(clientEmail: String, publicKeyPEM: String, tokenTTL: Int = 3600) {
        self.clientEmail = clientEmail
        self.publicKeyPEM = publicKeyPEM
        self.tokenTTL = tokenTTL
    }
}
