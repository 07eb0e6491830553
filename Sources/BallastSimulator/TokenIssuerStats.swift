/// A snapshot of what the token issuer has done (`TokenIssuer.stats`, `GET /_sim/oauth/stats`).
/// Control calls (`/_sim/oauth…`) are not counted.
public struct TokenIssuerStats: Sendable, Equatable {
    /// Requests to `/v1/oauth/token` (and other non-control paths), whatever their answer.
    public var requests = 0
    /// Tokens handed out (including `TokenIssuer.issueToken()` calls).
    public var tokensIssued = 0
    /// Token requests answered with a status of 400 or above (bad credentials, bad grant,
    /// the issuer being down…).
    public var failures = 0
    /// Token-endpoint answers by HTTP status.
    public var responsesByStatus: [Int: Int] = [:]
    /// Issued tokens that have not expired and are still remembered.
    public var liveTokens = 0
    /// API requests the regions turned away because their bearer token had expired.
    public var rejectedExpired = 0
    /// API requests the regions turned away because their bearer token was missing, unknown,
    /// malformed, forgotten or revoked.
    public var rejectedInvalid = 0

    public init() {}

    public func responses(status: Int) -> Int { responsesByStatus[status] ?? 0 }

    /// The JSON of `GET /_sim/oauth/stats`.
    public var json: String {
        let statuses = responsesByStatus.keys.sorted().map { "\"\($0)\":\(responsesByStatus[$0] ?? 0)" }
        return "{\"requests\":\(requests),\"tokens_issued\":\(tokensIssued),\"failures\":\(failures),"
            + "\"responses_by_status\":{\(statuses.joined(separator: ","))},\"live_tokens\":\(liveTokens),"
            + "\"rejected_expired\":\(rejectedExpired),\"rejected_invalid\":\(rejectedInvalid)}"
    }
}
