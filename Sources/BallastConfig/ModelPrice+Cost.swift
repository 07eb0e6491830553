public import BallastCore

extension ModelPrice {
    /// The dollars `usage` costs at these prices: each count times its price per million.
    /// Server tool calls (web search) are billed per call, not per token, and not priced here.
    public func cost(of usage: MessageUsage) -> Double {
        (Double(usage.inputTokens) * input + Double(usage.outputTokens) * output
            + Double(usage.cacheCreationInputTokens) * cacheCreation + Double(usage.cacheReadInputTokens) * cacheRead) / 1_000_000
    }
}
