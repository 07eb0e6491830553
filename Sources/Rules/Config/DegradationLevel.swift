/// What one rung of the degradation ladder adds. Levels are cumulative: level 3 also does
/// what levels 1 and 2 do (a later level's `max_tokens` replaces an earlier one's).
public struct DegradationLevel: Sendable, Equatable {
    /// Cap the request's `max_tokens` to this.
    public var maxTokens: Int?
    /// Route models to their fallback from the `fallback:` map.
    public var fallback: Bool
    public var shed: ShedPolicy?
    public var answer: AnswerPolicy?

    public init(maxTokens: Int? = nil, fallback: Bool = false, shed: ShedPolicy? = nil, answer: AnswerPolicy? = nil) {
        self.maxTokens = maxTokens
        self.fallback = fallback
        self.shed = shed
        self.answer = answer
    }

    var doesNothing: Bool { maxTokens == nil && !fallback && shed == nil && answer == nil }
}
