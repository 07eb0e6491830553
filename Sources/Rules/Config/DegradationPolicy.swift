/// Everything in force at one degradation level (the union of levels 1 through it), in the
/// form the proxy applies per request.
public struct DegradationPolicy: Sendable, Equatable {
    /// 0: not degraded.
    public var level: Int
    public var maxTokens: Int?
    public var fallback: Bool
    public var shed: ShedPolicy?
    public var answer: AnswerPolicy?

    public init(level: Int, maxTokens: Int? = nil, fallback: Bool = false, shed: ShedPolicy? = nil, answer: AnswerPolicy? = nil) {
        self.level = level
        self.maxTokens = maxTokens
        self.fallback = fallback
        self.shed = shed
        self.answer = answer
    }

    public var isDegraded: Bool { level > 0 }

    /// The `x-ballast-degraded` header for an answer this policy changed: `level=2` followed by
    /// what was done to this request, e.g. `level=2; max_tokens=1024; model=claude-sonnet-4-5`.
    public static func headerValue(level: Int, applied: [String]) -> String {
        (["level=\(level)"] + applied).joined(separator: "; ")
    }
}
