import BallastCore

/// One question to the telemetry: the requests (or the upstream attempts) of these regions and
/// models over the last `window` seconds.
///
/// The engine resolves every label matcher (exact, negated, regular expression) against the
/// known label values before asking, so an adapter only filters by plain lists of values, and
/// asks each distinct query once per evaluation step however many rules use it.
public struct WindowQuery: Hashable, Sendable, CustomStringConvertible {
    /// The regions to count, sorted; nil counts every request, including those Ballast answered
    /// without choosing a region.
    public var regions: [String]?
    /// The models to count, sorted; nil counts every request, with or without a model.
    public var models: [String]?
    /// The window's length in seconds: the requests that arrived in `(now - window, now]`, `now`
    /// being wall-clock seconds (so `Double`, not `Duration`, like the timestamps it meets).
    public var window: Double
    /// The classes `consecutiveFailures` counts as failures.
    public var failureClasses: OutcomeClassSet
    /// Whether client requests or upstream attempts are counted.
    public var level: SeriesLevel
    /// Set for canary series: the attempts of requests on this side of a canary.
    public var canary: CanarySelector?
    /// Whether the answer needs `consecutiveFailures` (only `consecutive_failures` reads it);
    /// counting a streak costs a store query of its own.
    public var wantsStreak: Bool

    /// - Parameter level: nil takes `SeriesLevel.implied`: attempts for a region-scoped query
    ///   within the attempts' retention, requests otherwise.
    public init(
        regions: [String]? = nil, models: [String]? = nil, window: Double,
        failureClasses: OutcomeClassSet = .defaultFailures, level: SeriesLevel? = nil, canary: CanarySelector? = nil,
        wantsStreak: Bool = true
    ) {
        self.regions = regions?.sorted()
        self.models = models?.sorted()
        self.window = window
        self.failureClasses = failureClasses
        self.canary = canary
        self.wantsStreak = wantsStreak
        self.level = canary != nil ? .attempt : level ?? SeriesLevel.implied(regionScoped: regions != nil, window: window)
    }

    /// True when a request of `region` and `model` belongs to the query.
    public func matches(region: String?, model: String?) -> Bool {
        if let regions {
            guard let region, regions.contains(region) else { return false }
        }
        if let models {
            guard let model, models.contains(model) else { return false }
        }
        return true
    }

    public var description: String {
        var parts: [String] = []
        if let regions { parts.append("region in [\(regions.joined(separator: ","))]") }
        if let models { parts.append("model in [\(models.joined(separator: ","))]") }
        if let canary { parts.append(canary.description) }
        parts.append("level=\(level.rawValue)")
        return "{\(parts.joined(separator: ", "))}[\(DurationText.format(window))]"
    }
}
