import BallastCore
import RulesRuntime

/// What a `ProxiedCall` needs to know about the client's request, decided once at the
/// front door.
struct CallRequest: Sendable {
    let method: String
    let pathAndQuery: String
    /// The headers to send upstream, before credentials are applied.
    let upstreamHeaders: HTTPHeaders
    /// The headers the client sent (passthrough credentials read them).
    let clientHeaders: HTTPHeaders
    var body: [UInt8]
    /// The `model` field, for routing, limits and labels.
    var model: String?
    /// True when the client asked for an SSE stream.
    let wantsStream: Bool
    /// False when the client sent `x-ballast-hedge: off`.
    let hedgeAllowed: Bool
    /// Whether a second copy may reach the upstream (retries after sending, hedges).
    let replay: ReplaySafety
    let arrival: MonotonicInstant
    let arrivalWallTime: Double
    /// When the client stops waiting: the smallest of Ballast's `timeouts.total`, the SDK's
    /// `x-stainless-timeout` and `x-ballast-max-wait` (see `RequestDeadline`).
    let deadline: MonotonicInstant
    /// The `max_tokens` field: pacing's output-token estimate starts from it.
    var maxTokens: Int? = nil
    /// Set when the answer may be cached: identical requests then share one upstream call.
    let cache: CachedRequest?
    /// The `x-ballast-degraded` value when degradation changed this request.
    var degraded: String?
    /// The canary the request matched and its side, for telemetry and metrics.
    var canary: CanaryTag? = nil
    /// Headers the migration step adds to the client's response (`x-ballast-canary`,
    /// `x-ballast-deprecated`).
    var migrationHeaders: [(name: String, value: String)] = []

    /// Set for batch and file requests: their creation gets a home, their use goes there.
    var object: ObjectRoute? = nil
    /// The region that created the object this request uses, when known: only it is asked.
    var home: String? = nil
    /// The client key's admission, settled once the answer's usage is known; nil without a key.
    var client: ClientTicket? = nil
}
