/// How long simulated replies are. The count for a request is a deterministic pick in
/// `minTokens...maxTokens` from the request's content, capped by its `max_tokens`.
public struct OutputModel: Sendable, Equatable {
    public var minTokens: Int
    public var maxTokens: Int
    /// Tokens carried by each streamed `content_block_delta`.
    public var tokensPerDelta: Int

    public init(minTokens: Int = 10, maxTokens: Int = 60, tokensPerDelta: Int = 1) {
        self.minTokens = minTokens
        self.maxTokens = maxTokens
        self.tokensPerDelta = tokensPerDelta
    }
}
