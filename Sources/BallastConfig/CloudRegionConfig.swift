/// The settings of a `bedrock` or `vertex` region (docs/regions.md).
public struct CloudRegionConfig: Sendable, Equatable {
    /// Bedrock: the AWS region (`us-east-1`), part of the endpoint and of the SigV4 scope.
    public var awsRegion: String?
    /// Vertex: the Google Cloud project and location (`us-east5`, `global`).
    public var project: String?
    public var location: String?
    /// `scheme://host[:port]`, replacing the service's public endpoint (VPC endpoints, tests).
    public var endpoint: String?
    /// Vertex: a service-account key file; else `GOOGLE_APPLICATION_CREDENTIALS`, else the
    /// metadata server.
    public var credentialsFile: String?
    /// In config order; the first pattern that matches a request's model wins. A model no
    /// pattern matches is never sent to this region.
    public var models: [ModelMapping]

    public init(
        awsRegion: String? = nil, project: String? = nil, location: String? = nil, endpoint: String? = nil,
        credentialsFile: String? = nil, models: [ModelMapping] = []
    ) {
        self.awsRegion = awsRegion
        self.project = project
        self.location = location
        self.endpoint = endpoint
        self.credentialsFile = credentialsFile
        self.models = models
    }

    /// The service endpoint requests go to: `endpoint`, else the public one.
    public func resolvedEndpoint(kind: RegionKind) -> String {
        if let endpoint { return endpoint }
        switch kind {
        case .bedrock: return "https://bedrock-runtime.\(awsRegion ?? "us-east-1").amazonaws.com"
        case .vertex:
            let location = self.location ?? "global"
            return location == "global" ? "https://aiplatform.googleapis.com" : "https://\(location)-aiplatform.googleapis.com"
        case .anthropic: return ""
        }
    }
}
