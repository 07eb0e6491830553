/// `upstream.concurrency`: the adaptive limit on parallel attempts per region.
public struct ConcurrencyConfig: Sendable, Equatable {
    public var enabled: Bool
    public var initial: Int
    public var min: Int
    public var max: Int

    public init(enabled: Bool = true, initial: Int = 20, min: Int = 4, max: Int = 200) {
        self.enabled = enabled
        self.initial = initial
        self.min = min
        self.max = max
    }
}

extension ConcurrencyConfig {
    static let keys: Set<String> = ["enabled", "initial", "min", "max"]

    static func read(_ map: ConfigMapping?) -> ConcurrencyConfig {
        var config = ConcurrencyConfig()
        guard let map else { return config }
        let path = "upstream.concurrency"
        if let value = map.bool("enabled") { config.enabled = value }
        if let value = map.int("initial", in: path, range: 1...100_000) { config.initial = value }
        if let value = map.int("min", in: path, range: 1...100_000) { config.min = value }
        if let value = map.int("max", in: path, range: 1...100_000) { config.max = value }
        if config.min > config.max || config.initial < config.min || config.initial > config.max {
            map.owner.error("'\(path)' needs min <= initial <= max (got \(config.min), \(config.initial), \(config.max))")
        }
        return config
    }
}
