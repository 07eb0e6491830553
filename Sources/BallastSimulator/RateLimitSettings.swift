/// The rate limits a region enforces: a request bucket and separate input-token and
/// output-token buckets, as the Messages API has them. A zero rate means unlimited.
///
/// Figures are per minute where the API states them per minute (tokens) and per second for
/// requests (the older key, kept). A bucket's capacity (`burst`) may be far below a minute's
/// worth: the API enforces its per-minute figures over shorter intervals, so 60 RPM can be
/// enforced as one request per second and a burst far below the minute's figure is refused.
public struct RateLimitSettings: Sendable, Equatable {
    /// Whether these limits are the organisation's (shared across regions) or the region's own.
    public var scope: RateLimitScope
    public var requestsPerSecond: Double
    /// Requests the bucket holds when full; 0 means one second's worth (at least 1).
    public var burst: Double
    /// Input tokens per minute: charged in full when a request is admitted.
    public var inputTokensPerMinute: Double
    /// The input bucket's capacity; 0 means one minute's worth.
    public var inputTokensBurst: Double
    /// Output tokens per minute: charged as the reply is produced.
    public var outputTokensPerMinute: Double
    /// The output bucket's capacity; 0 means one minute's worth.
    public var outputTokensBurst: Double

    /// - Parameter tokensPerMinute: the old combined figure (one bucket of input plus output).
    ///   It now sets both `inputTokensPerMinute` and `outputTokensPerMinute` where those are
    ///   not given, so a scenario written for it is limited no more strictly than before.
    public init(
        requestsPerSecond: Double = 0, burst: Double = 0, tokensPerMinute: Double = 0,
        inputTokensPerMinute: Double? = nil, inputTokensBurst: Double = 0,
        outputTokensPerMinute: Double? = nil, outputTokensBurst: Double = 0,
        scope: RateLimitScope = .organisation
    ) {
        self.scope = scope
        self.requestsPerSecond = requestsPerSecond
        self.burst = burst
        self.inputTokensPerMinute = inputTokensPerMinute ?? tokensPerMinute
        self.inputTokensBurst = inputTokensBurst
        self.outputTokensPerMinute = outputTokensPerMinute ?? tokensPerMinute
        self.outputTokensBurst = outputTokensBurst
    }

    /// The request bucket's capacity.
    public var requestCapacity: Double { burst > 0 ? burst : max(1, requestsPerSecond) }
    public var inputTokenCapacity: Double { inputTokensBurst > 0 ? inputTokensBurst : inputTokensPerMinute }
    public var outputTokenCapacity: Double { outputTokensBurst > 0 ? outputTokensBurst : outputTokensPerMinute }

    public var limitsRequests: Bool { requestsPerSecond > 0 }
    public var limitsInputTokens: Bool { inputTokensPerMinute > 0 }
    public var limitsOutputTokens: Bool { outputTokensPerMinute > 0 }

    /// The same figures in another scope.
    public func scoped(_ scope: RateLimitScope) -> RateLimitSettings {
        var copy = self
        copy.scope = scope
        return copy
    }
}

extension RateLimitSettings {
    /// The JSON form, the shape a `rate_limit` section takes (every figure, so it reads back
    /// the same).
    public var json: String {
        "{\"scope\":\"\(scope.rawValue)\",\"requests_per_second\":\(FaultSettings.number(requestsPerSecond)),"
            + "\"burst\":\(FaultSettings.number(burst)),"
            + "\"input_tokens_per_minute\":\(FaultSettings.number(inputTokensPerMinute)),"
            + "\"input_tokens_burst\":\(FaultSettings.number(inputTokensBurst)),"
            + "\"output_tokens_per_minute\":\(FaultSettings.number(outputTokensPerMinute)),"
            + "\"output_tokens_burst\":\(FaultSettings.number(outputTokensBurst))}"
    }
}
