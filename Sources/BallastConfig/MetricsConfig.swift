/// `metrics`: bounds on the label values of the usage metrics. Models and clients past these
/// counts are folded into `other`, so a client naming a new model per request (or a proxy in
/// passthrough mode seeing a new key per request) cannot grow `/metrics` without bound.
public struct MetricsConfig: Sendable, Equatable {
    /// Distinct `model` values of the token and cost metrics.
    public var maxModels: Int
    /// Distinct `client` values (client key names, or credential fingerprints).
    public var maxClients: Int

    public init(maxModels: Int = 32, maxClients: Int = 64) {
        self.maxModels = maxModels
        self.maxClients = maxClients
    }

    static let keys: Set<String> = ["max_models", "max_clients"]
}

extension MetricsConfig {
    static func read(_ map: ConfigMapping?) -> MetricsConfig {
        var config = MetricsConfig()
        guard let map else { return config }
        if let value = map.int("max_models", in: "metrics", range: 1...1000) { config.maxModels = value }
        if let value = map.int("max_clients", in: "metrics", range: 1...10_000) { config.maxClients = value }
        return config
    }
}
