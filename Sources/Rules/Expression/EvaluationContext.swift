/// What one evaluation step shares between all rules: the window source, the known label
/// values, and the memo that makes each distinct query reach the source once per step.
///
/// Lives for one step on one thread, so it is a plain class.
package final class EvaluationContext {
    let source: any WindowSource
    /// Seconds since the Unix epoch: where every query's window ends.
    let wallTime: Double
    let regions: [String]
    private var knownModels: [String]?
    private var results: [WindowQuery: WindowResult] = [:]
    private var resolved: [Int: ResolvedCall] = [:]
    private var callValues: [Int: [SeriesLabels: Double]] = [:]
    /// Calls made to the source in this step.
    private(set) var queries = 0

    /// - Parameter regions: the configured regions; the source's are added to them.
    package init(source: any WindowSource, wallTime: Double, regions: [String]) {
        self.source = source
        self.wallTime = wallTime
        var all = regions
        for region in source.labelValues(.region) where !all.contains(region) { all.append(region) }
        self.regions = all
    }

    var models: [String] {
        if let knownModels { return knownModels }
        let models = source.labelValues(.model)
        knownModels = models
        return models
    }

    func result(_ query: WindowQuery) -> WindowResult {
        if let cached = results[query] { return cached }
        queries += 1
        let result = source.window(query, wallTime: wallTime)
        results[query] = result
        return result
    }

    /// The values of `call`, one per label set of its grouping.
    func values(_ call: WindowCall) -> [SeriesLabels: Double] {
        if let cached = callValues[call.id] { return cached }
        var values: [SeriesLabels: Double] = [:]
        for instance in resolve(call).instances {
            let result = result(instance.query)
            values[instance.labels] = call.function.value(
                result, classes: call.classes, quantile: call.quantile,
                window: call.window)
        }
        callValues[call.id] = values
        return values
    }

    package func resolve(_ call: WindowCall) -> ResolvedCall {
        if let cached = resolved[call.id] { return cached }
        let regionFilter = Self.filter(call.regionMatchers, known: regions)
        let modelFilter =
            call.grouping.contains(.model) || !call.modelMatchers.isEmpty
            ? Self.filter(call.modelMatchers, known: models) : nil
        let classes: OutcomeClassSet = call.function == .consecutiveFailures ? call.classes : .defaultFailures
        var instances: [(labels: SeriesLabels, query: WindowQuery)] = []
        let regionValues: [String?] = call.grouping.contains(.region) ? (regionFilter ?? regions).map { $0 } : [nil]
        let modelValues: [String?] = call.grouping.contains(.model) ? (modelFilter ?? models).map { $0 } : [nil]
        for region in regionValues {
            for model in modelValues {
                let query = WindowQuery(
                    regions: region.map { [$0] } ?? regionFilter,
                    models: model.map { [$0] } ?? modelFilter,
                    window: call.window, failureClasses: classes, level: call.level, canary: call.canary,
                    wantsStreak: call.function == .consecutiveFailures)
                instances.append((SeriesLabels(region: region, model: model), query))
            }
        }
        let result = ResolvedCall(instances: instances)
        resolved[call.id] = result
        return result
    }

    /// The known values that pass every matcher (exact values are candidates even when the
    /// telemetry has not seen them yet); nil when there is no matcher, meaning "all".
    static func filter(_ matchers: [LabelMatcher], known: [String]) -> [String]? {
        guard !matchers.isEmpty else { return nil }
        var candidates = known
        for matcher in matchers where matcher.op == .equal && !candidates.contains(matcher.value) {
            candidates.append(matcher.value)
        }
        return candidates.filter { candidate in matchers.allSatisfy { $0.matches(candidate) } }.sorted()
    }
}
