import BallastCore

/// `pricing`: the price table that turns tokens into `ballast_cost_usd_total` and the cost
/// columns of `ballast stats`. A list of model globs, first match wins; a model no entry
/// matches has no cost (its tokens are still counted).
///
/// Absent, the shipped example table applies: Anthropic's list prices for the Claude models
/// current when this Ballast was built. Prices change and contracts differ, so operators who
/// bill from these figures keep their own table in the file; `pricing: []` turns cost off.
public struct PricingConfig: Sendable, Equatable {
    public var prices: [ModelPrice]

    public init(prices: [ModelPrice] = PricingConfig.shippedExample) {
        self.prices = prices
    }

    /// The first entry whose glob matches `model`.
    public func price(for model: String) -> ModelPrice? {
        prices.first { Glob.matches($0.model, model) }
    }

    /// Anthropic's published list prices per million tokens (standard tier, 5-minute cache
    /// writes), as of 2026-12. An example to keep current, not a promise: check
    /// https://docs.anthropic.com/en/docs/about-claude/pricing before billing from it.
    public static let shippedExample: [ModelPrice] = [
        ModelPrice(model: "claude-opus-4-1*", input: 15, output: 75, cacheCreation: 18.75, cacheRead: 1.50),
        ModelPrice(model: "claude-opus-4-2025*", input: 15, output: 75, cacheCreation: 18.75, cacheRead: 1.50),
        ModelPrice(model: "claude-opus-4*", input: 5, output: 25, cacheCreation: 6.25, cacheRead: 0.50),
        ModelPrice(model: "claude-sonnet-4*", input: 3, output: 15, cacheCreation: 3.75, cacheRead: 0.30),
        ModelPrice(model: "claude-3-7-sonnet*", input: 3, output: 15, cacheCreation: 3.75, cacheRead: 0.30),
        ModelPrice(model: "claude-haiku-4*", input: 1, output: 5, cacheCreation: 1.25, cacheRead: 0.10),
        ModelPrice(model: "claude-3-5-haiku*", input: 0.80, output: 4, cacheCreation: 1, cacheRead: 0.08),
        ModelPrice(model: "claude-3-haiku*", input: 0.25, output: 1.25, cacheCreation: 0.30, cacheRead: 0.03),
    ]
}

extension PricingConfig {
    static func read(_ node: ConfigNode?) -> PricingConfig {
        guard let node, let items = node.sequence(what: "'pricing'") else { return PricingConfig() }
        var prices: [ModelPrice] = []
        for (index, item) in items.enumerated() {
            let what = "pricing[\(index)]"
            // Unknown keys (a token type Ballast does not price) are errors at their place.
            guard let map = item.mapping(what: "'\(what)'", keys: ModelPrice.keys) else { continue }
            guard let model = map.require("model")?.string(what: "'\(what).model'") else { continue }
            if model.isEmpty { map["model"]?.error("'\(what).model' must not be empty") }
            var values: [String: Double] = [:]
            var complete = true
            for key in ["input", "output", "cache_creation", "cache_read"] {
                guard let valueNode = map.require(key), let value = valueNode.double(what: "'\(what).\(key)'") else {
                    complete = false
                    continue
                }
                guard value >= 0, value.isFinite else {
                    valueNode.error("'\(what).\(key)' must be a price of 0 or more (US dollars per million tokens), not \(value)")
                    complete = false
                    continue
                }
                values[key] = value
            }
            guard complete, !model.isEmpty else { continue }
            prices.append(
                ModelPrice(
                    model: model, input: values["input"] ?? 0, output: values["output"] ?? 0,
                    cacheCreation: values["cache_creation"] ?? 0, cacheRead: values["cache_read"] ?? 0))
        }
        return PricingConfig(prices: prices)
    }
}
