import BallastCore

/// One question to the telemetry: the requests of these regions and models over the last
/// `window` seconds.
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
    /// The window's length in seconds: the requests that arrived in `(now - window, now]`.
    public var window: Double
    /// The classes `consecutiveFailures` counts as failures.
    public var failureClasses: OutcomeClassSet

    public init(regions: [String]? = nil, models: [String]? = nil, window: Double,
                failureClasses: OutcomeClassSet = .defaultFailures) {
        self.regions = regions?.sorted()
        self.models = models?.sorted()
        self.window = window
        self.failureClasses = failureClasses
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
        return "{\(parts.joined(separator: ", "))}[\(DurationText.format(window))]"
    }
}
