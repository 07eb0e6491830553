public import BallastCore

/// What one attempt's ending means for the policies, decided once by `FailureClassifier`.
///
/// Every policy reads these fields instead of raw status codes (Envoy's `Outlier::Result`), so
/// the rules for "what is retryable" live in one place. A successful answer is also described
/// by a `Failure` value (with `outcome == .success`) so the attempt loop has one type to switch
/// on.
public struct Failure: Sendable, Equatable {
    /// The class every policy and metric keys on.
    public var outcome: OutcomeClass
    /// Whether another attempt may succeed. `x-should-retry` has already been applied.
    public var retryable: Bool
    /// The HTTP status, or the status an SSE `error` event stands for; nil for transport
    /// failures.
    public var status: Int?
    /// The Anthropic error type from the body (`rate_limit_error`, `overloaded_error`, ...).
    public var errorType: String?
    /// The error message from the body, cut to 256 characters (for logs, never for labels).
    public var errorMessage: String?
    /// Set when no HTTP answer came back.
    public var transport: TransportFailure?
    /// True when the upstream certainly never saw the request (connect failures): such an
    /// attempt may be retried even where a retry could otherwise run the work twice.
    public var requestNeverSent: Bool
    /// Seconds the server asked us to wait (`retry-after-ms`, else numeric `retry-after`).
    public var retryAfter: Double?

    public init(
        outcome: OutcomeClass, retryable: Bool, status: Int? = nil, errorType: String? = nil,
        errorMessage: String? = nil, transport: TransportFailure? = nil, requestNeverSent: Bool = false,
        retryAfter: Double? = nil
    ) {
        self.outcome = outcome
        self.retryable = retryable
        self.status = status
        self.errorType = errorType
        self.errorMessage = errorMessage
        self.transport = transport
        self.requestNeverSent = requestNeverSent
        self.retryAfter = retryAfter
    }

    public var isSuccess: Bool { outcome == .success }

    /// A retryable 429: feed it to the rate allowance (`recordRateLimited`).
    public var isRateLimited: Bool {
        outcome == .upstream && (status == 429 || errorType == AnthropicErrorType.rateLimit.rawValue)
    }

    /// The upstream said it is overloaded or did not answer in time: the concurrency limit
    /// should shrink (`permit.dropped()`).
    public var signalsOverload: Bool {
        if let transport { return transport.isTimeout }
        return status == 529 || status == 503 || status == 504
            || errorType == AnthropicErrorType.overloaded.rawValue
    }

    /// A 401: the credentials were rejected (`TokenRefresher.forceRefresh(after401:now:)`).
    public var isAuthenticationFailure: Bool { status == 401 }
}
