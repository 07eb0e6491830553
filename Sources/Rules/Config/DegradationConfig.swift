/// The `degradation:` section: the ladder's levels and the model fallback map.
public struct DegradationConfig: Sendable, Equatable {
    /// Level N is `levels[N - 1]`.
    public var levels: [DegradationLevel]
    public var fallback: ModelFallbackMap

    public init(levels: [DegradationLevel] = DegradationConfig.defaultLevels, fallback: ModelFallbackMap = ModelFallbackMap()) {
        self.levels = levels
        self.fallback = fallback
    }

    /// Used when no rule file has a `degradation:` section: 1 caps `max_tokens` to 1024,
    /// 2 falls models back, 3 sheds `x-ballast-priority: low` with 529 and `retry-after: 30`,
    /// 4 answers from the cache, stale entries allowed.
    public static let defaultLevels: [DegradationLevel] = [
        DegradationLevel(maxTokens: 1024),
        DegradationLevel(fallback: true),
        DegradationLevel(shed: ShedPolicy()),
        DegradationLevel(answer: AnswerPolicy()),
    ]

    public var maxLevel: Int { levels.count }

    /// What is in force at `level` (levels 1 through `level` combined).
    public func policy(level: Int) -> DegradationPolicy {
        var policy = DegradationPolicy(level: max(0, min(level, levels.count)))
        for rung in levels.prefix(policy.level) {
            if let maxTokens = rung.maxTokens { policy.maxTokens = maxTokens }
            if rung.fallback { policy.fallback = true }
            if let shed = rung.shed { policy.shed = shed }
            if let answer = rung.answer { policy.answer = answer }
        }
        return policy
    }
}
