/// `upstream.hedge`: a second attempt for a slow first byte, under a budget.
public struct HedgeConfig: Sendable, Equatable {
    public var enabled: Bool
    /// Hedge once an attempt has waited longer than this quantile of recent first-byte times.
    public var quantile: Double
    /// First-byte samples needed per region and model before any hedge.
    public var minSamples: Int
    /// Hedges may add at most this share of requests.
    public var maxExtraRatio: Double
    /// Model globs never hedged (every hedge costs tokens), e.g. `claude-opus-*`.
    public var disabledModels: [String]

    public init(
        enabled: Bool = true, quantile: Double = 0.95, minSamples: Int = 20, maxExtraRatio: Double = 0.05,
        disabledModels: [String] = []
    ) {
        self.enabled = enabled
        self.quantile = quantile
        self.minSamples = minSamples
        self.maxExtraRatio = maxExtraRatio
        self.disabledModels = disabledModels
    }
}

extension HedgeConfig {
    static let keys: Set<String> = ["enabled", "quantile", "min_samples", "max_extra_ratio", "disabled_models"]

    static func read(_ map: ConfigMapping?) -> HedgeConfig {
        var config = HedgeConfig()
        guard let map else { return config }
        let path = "upstream.hedge"
        if let value = map.bool("enabled") { config.enabled = value }
        if let value = map.ratio("quantile") { config.quantile = value }
        if let value = map.int("min_samples", in: path, range: 1...100_000) { config.minSamples = value }
        if let value = map.ratio("max_extra_ratio") { config.maxExtraRatio = value }
        if let value = map.strings("disabled_models") { config.disabledModels = value }
        return config
    }
}
