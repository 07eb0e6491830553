/// One client key's limits, as configured (`clients.keys[]`); nil: that dimension is unlimited.
public struct ClientLimits: Sendable, Equatable {
    public var requestsPerMinute: Double?
    public var inputTokensPerMinute: Double?
    public var outputTokensPerMinute: Double?
    /// Input plus output tokens per UTC day.
    public var tokensPerDay: Double?

    public init(
        requestsPerMinute: Double? = nil, inputTokensPerMinute: Double? = nil, outputTokensPerMinute: Double? = nil,
        tokensPerDay: Double? = nil
    ) {
        self.requestsPerMinute = requestsPerMinute
        self.inputTokensPerMinute = inputTokensPerMinute
        self.outputTokensPerMinute = outputTokensPerMinute
        self.tokensPerDay = tokensPerDay
    }

    /// The per-minute figure of a dimension.
    public func perMinute(_ dimension: ClientLimitDimension) -> Double? {
        switch dimension {
        case .requests: requestsPerMinute
        case .inputTokens: inputTokensPerMinute
        case .outputTokens: outputTokensPerMinute
        }
    }
}

/// The rate-limited dimensions of a client key, named as in the API's
/// `anthropic-ratelimit-{name}-*` headers.
public enum ClientLimitDimension: String, Sendable, CaseIterable {
    case requests
    case inputTokens = "input-tokens"
    case outputTokens = "output-tokens"
}
