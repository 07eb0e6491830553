/// How one request or attempt ended, classified once at the boundary so that every policy
/// (retry, breaker, rules, metrics) reads the class and never raw status codes.
public enum OutcomeClass: String, Sendable, CaseIterable, Codable {
    /// A 2xx answer (a stream that completed without an `error` event).
    case success
    /// The upstream said the request itself is wrong (400, 401, 403, 404, 413, a spend-limit
    /// 429): retrying cannot help.
    case client
    /// The upstream reported a retryable failure: 429, 529, 500, 502, 503, 504, or an SSE
    /// `error` event.
    case upstream
    /// Nothing usable came back: connect refused, reset, timeout.
    case local
    /// Ballast answered itself without reaching an upstream (malformed request, shed,
    /// queue full, no region available).
    case ballast

    public var isFailure: Bool { self != .success }
}
