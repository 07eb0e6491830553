public import BallastCore

/// Turns what came back from an attempt into a `Failure`: the outcome class every policy keys
/// on, whether a retry may help, and the server's hints (error type, `retry-after`,
/// `x-should-retry`).
///
/// Call sequence, in the attempt loop:
/// 1. a transport error → `classify(transport:)`;
/// 2. a response head (and, for non-2xx, the first bytes of the body) →
///    `classify(status:headers:bodyPrefix:)`;
/// 3. an SSE `error` event inside a 200 stream → `classify(streamErrorData:)` with the
///    event's `data` (retry only if nothing has been relayed to the client yet).
///
/// Rules (they follow the Anthropic SDKs, which retry 408, 409, 429 and 5xx, plus the
/// documented spend-limit 429 that must not be retried):
/// - 2xx: success.
/// - 429: upstream, retryable; but a spend/usage/billing limit message makes it client, final.
/// - 408, 409, 5xx (500, 502, 503, 504, 529 ...): upstream, retryable.
/// - other 4xx (400, 401, 402, 403, 404, 413 ...): client, final.
/// - transport failures: local, retryable.
/// - `x-should-retry: true|false` overrides `retryable` either way, as in the SDKs.
public struct FailureClassifier: Sendable {
    /// Lower-case phrases that mark a 429 as a spend or usage cap rather than a rate limit:
    /// waiting a few seconds cannot help, and retrying only burns the client's time.
    public static let defaultSpendLimitPhrases = [
        "spend limit", "spending limit", "usage limit", "credit balance", "billing",
    ]

    public var spendLimitPhrases: [String]
    /// How much of the body is looked at; an Anthropic error body fits easily.
    public var maxBodyScan: Int

    public init(spendLimitPhrases: [String] = FailureClassifier.defaultSpendLimitPhrases, maxBodyScan: Int = 4096) {
        self.spendLimitPhrases = spendLimitPhrases.map { $0.lowercased() }
        self.maxBodyScan = max(0, maxBodyScan)
    }

    /// Classifies an HTTP answer from its status, headers and the first bytes of its body
    /// (omit the body for a 2xx, or when it is not at hand).
    public func classify(status: Int, headers: HTTPHeaders, bodyPrefix: some Collection<UInt8> = [UInt8]()) -> Failure {
        var failure: Failure
        if (200..<300).contains(status) {
            return Failure(outcome: .success, retryable: false, status: status)
        }
        let found = ErrorBodyScanner.scan(Array(bodyPrefix.prefix(maxBodyScan)))
        let message = found.message.map { String($0.prefix(256)) }
        switch status {
        case 429:
            if isSpendLimit(message) {
                failure = Failure(outcome: .client, retryable: false, status: status)
            } else {
                failure = Failure(outcome: .upstream, retryable: true, status: status)
            }
        case 408, 409, 500...599:
            failure = Failure(outcome: .upstream, retryable: true, status: status)
        case 400..<500:
            failure = Failure(outcome: .client, retryable: false, status: status)
        default:
            // 1xx/3xx from an API that never sends them: the upstream misbehaved, and
            // repeating the same request would get the same answer.
            failure = Failure(outcome: .upstream, retryable: false, status: status)
        }
        failure.errorType = found.type
        failure.errorMessage = message
        failure.retryAfter = Self.retryAfter(headers)
        if let shouldRetry = headers["x-should-retry"]?.lowercased() {
            if shouldRetry == "true" { failure.retryable = true }
            if shouldRetry == "false" { failure.retryable = false }
        }
        return failure
    }

    /// Classifies a failure that left no HTTP answer.
    public func classify(transport: TransportFailure) -> Failure {
        Failure(outcome: .local, retryable: true, transport: transport, requestNeverSent: transport.requestNeverSent)
    }

    /// Classifies the JSON `data` of an SSE `error` event like the status its type travels
    /// with (`overloaded_error` → 529, `api_error` → 500, `rate_limit_error` → 429, ...);
    /// an unknown or missing type counts as `api_error`.
    public func classify(streamErrorData data: some Collection<UInt8>) -> Failure {
        let prefix = Array(data.prefix(maxBodyScan))
        let found = ErrorBodyScanner.scan(prefix)
        let status = found.type.flatMap(AnthropicErrorType.init(rawValue:))?.status ?? 500
        var failure = classify(status: status, headers: HTTPHeaders(), bodyPrefix: prefix)
        if failure.errorType == nil { failure.errorType = AnthropicErrorType.api.rawValue }
        return failure
    }

    private func isSpendLimit(_ message: String?) -> Bool {
        guard let text = message?.lowercased() else { return false }
        return spendLimitPhrases.contains { text.contains($0) }
    }

    /// `retry-after-ms` first (the SDKs' precedence), then `retry-after` in seconds. HTTP-date
    /// forms are ignored: the API sends numbers, and a date would need the server's clock.
    static func retryAfter(_ headers: HTTPHeaders) -> Double? {
        if let text = headers["retry-after-ms"], let ms = Double(text.trimmed), ms.isFinite, ms >= 0 {
            return ms / 1000
        }
        if let text = headers["retry-after"], let seconds = Double(text.trimmed), seconds.isFinite, seconds >= 0 {
            return seconds
        }
        return nil
    }
}
