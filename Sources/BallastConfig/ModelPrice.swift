public import BallastCore
/// What one million tokens of each type cost, in US dollars, for the models matching `model`
/// (a glob: `*` and `?`).
public struct ModelPrice: Sendable, Equatable {
    public var model: String
    public var input: Double
    public var output: Double
    /// Writing to the prompt cache (the 5-minute price; 1-hour writes cost more and are not
    /// told apart in `usage`'s totals).
    public var cacheCreation: Double
    public var cacheRead: Double

    public init(model: String, input: Double, output: Double, cacheCreation: Double, cacheRead: Double) {
        self.model = model
        self.input = input
        self.output = output
        self.cacheCreation = cacheCreation
        self.cacheRead = cacheRead
    }

    /// The token types a price entry may name.
    static let keys: Set<String> = ["model", "input", "output", "cache_creation", "cache_read"]
}

extension ModelPrice {
    /// The dollars `usage` costs at these prices: each count times its price per million.
    /// Server tool calls (web search) are billed per call, not per token, and not priced here.
    public func cost(of usage: MessageUsage) -> Double {
        (Double(usage.inputTokens) * input + Double(usage.outputTokens) * output
            + Double(usage.cacheCreationInputTokens) * cacheCreation + Double(usage.cacheReadInputTokens) * cacheRead) / 1_000_000
    }
}
