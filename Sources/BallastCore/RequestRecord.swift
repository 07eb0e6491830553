/// One client request as Ballast saw it: the row telemetry stores and the rules read.
/// Holds no bodies and no secrets.
public struct RequestRecord: Sendable, Equatable {
    /// Wall-clock seconds since the Unix epoch when the request arrived.
    public var time: Double
    /// The region of the final attempt; nil when none was tried.
    public var region: String?
    /// The `model` field of the request, if any (bounded by the caller before it is a label).
    public var model: String?
    /// How the route was chosen: `weighted`, `failover`, `hedge`, `cache`, `degraded`, …
    public var route: String
    public var status: Int
    public var outcome: OutcomeClass
    /// The Anthropic error type when the answer was an error.
    public var errorType: String?
    public var attempts: Int
    public var hedged: Bool
    public var cacheHit: Bool
    public var coalesced: Bool
    public var streamed: Bool
    /// Seconds from arrival to the last byte sent.
    public var latency: Double
    /// Seconds from arrival to the response head; nil when none was sent.
    public var timeToFirstByte: Double?
    public var inputTokens: Int
    public var outputTokens: Int
    public var bytesSent: Int
    /// The canary the request matched, and its side (`old` or `new`); nil outside canaries.
    public var canary: String?
    public var canarySide: String?
    /// The client key's name (`clients.keys`) when the request carried one.
    public var client: String?
    /// The delivered answer's usage (all four counts; `inputTokens` and `outputTokens` repeat
    /// two of them), and what every attempt of the request cost together.
    public var usage = MessageUsage.unknown
    public var costUSD: Double?
    /// The W3C trace id (32 hex digits) of the request's span, when it was traced.
    public var traceID: String?
    /// Without a client key: a fingerprint of the credential the request presented
    /// (`key-` and 12 hex digits of its SHA-256, never the credential), or `none`.
    public var credential: String?

    public init(
        time: Double, region: String?, model: String?, route: String = "weighted", status: Int,
        outcome: OutcomeClass, errorType: String? = nil, attempts: Int = 1, hedged: Bool = false,
        cacheHit: Bool = false, coalesced: Bool = false, streamed: Bool = false, latency: Double,
        timeToFirstByte: Double? = nil, inputTokens: Int = 0, outputTokens: Int = 0, bytesSent: Int = 0
    ) {
        self.time = time
        self.region = region
        self.model = model
        self.route = route
        self.status = status
        self.outcome = outcome
        self.errorType = errorType
        self.attempts = attempts
        self.hedged = hedged
        self.cacheHit = cacheHit
        self.coalesced = coalesced
        self.streamed = streamed
        self.latency = latency
        self.timeToFirstByte = timeToFirstByte
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.bytesSent = bytesSent
    }
}
