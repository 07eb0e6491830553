/// One request as `bench/sdk_load.py` saw it through the SDK (after the SDK's own retries).
struct SDKRequestOutcome: Sendable {
    var ok: Bool
    /// The final HTTP status; nil for a connection error, a timeout or an unfinished request.
    var status: Int?
    /// The Anthropic error type, or `connection`, `timeout`, `unfinished`.
    var error: String?
    /// Seconds from the scheduled arrival to the end (for a probe: from its send).
    var latency: Double
    /// The scheduled arrival, in seconds from the start of the run (0 for a probe).
    var scheduledAt: Double
    /// The `retry-after` header of a failed answer, as sent.
    var retryAfter: String?
    /// `x-ballast-attempts`: 0 when Ballast answered without any upstream attempt.
    var ballastAttempts: Int?
    var hedged: Bool
    /// Whether the answer carried the upstream's `request-id` (nil without an answer).
    var hasRequestID: Bool?
    /// The error message of a failed answer, shortened.
    var message: String?
    var outputTokens: Int?
    var inputTokens: Int?
    /// Retries the SDK itself made (`retries_taken`).
    var sdkRetries: Int?
    /// For a probe: whether the 429 it follows up was the proxy's own rather than relayed.
    var probeOfOwn: Bool?

    init(json: [String: Any]) {
        ok = json["ok"] as? Bool ?? false
        status = json["status"] as? Int
        error = json["error"] as? String
        latency = Self.number(json["latency"])
        scheduledAt = Self.number(json["t"])
        retryAfter = json["retry_after"] as? String
        ballastAttempts = json["ballast_attempts"] as? Int
        hedged = json["hedged"] as? Bool ?? false
        hasRequestID = json["request_id"] as? Bool
        message = json["message"] as? String
        outputTokens = json["out_tok"] as? Int
        inputTokens = json["in_tok"] as? Int
        sdkRetries = json["sdk_retries"] as? Int
        probeOfOwn = json["original_own"] as? Bool
    }

    /// When the request ended, in seconds from the start of the run.
    var completedAt: Double { scheduledAt + latency }

    /// A 429 Ballast gave itself (pacing) rather than relayed: it carries no upstream
    /// `request-id`.
    var isBallastOwnRateLimit: Bool { status == 429 && hasRequestID == false }

    /// How the failure shows in the tables: the status, or the kind of transport failure.
    var failureKind: String { status.map(String.init) ?? error ?? "unknown" }

    private static func number(_ value: Any?) -> Double {
        (value as? Double) ?? Double(value as? Int ?? 0)
    }
}
