public import BallastCore
public import Rules
import Synchronization
public import Telemetry

/// The rule engine's view of Ballast's own telemetry: its window queries answered from the
/// telemetry windows (the in-memory ring for recent seconds, SQLite rollups beyond), and from
/// the recent attempts for attempt-level queries. Public for `ballast-lab bench`, which times rule
/// evaluation over a store the way the gateway reads it.
public final class TelemetryWindowSource: WindowSource {
    private let windows: TelemetryWindows
    private let regions: [String]
    /// Models seen recently, bounded like metric labels.
    private let models = Mutex<Set<String>>([])
    private static let maxModels = 64

    let attempts = AttemptWindows()
    /// Attempts per canary side, for `canary="..."` series (fed by the canary sink).
    package let canaries = CanaryWindows()

    public init(windows: TelemetryWindows, regions: [String]) {
        self.windows = windows
        self.regions = regions
    }

    /// Notes a model a request asked for, so `by (model)` and regex matchers know it.
    public func noteModel(_ model: String?) {
        guard let model else { return }
        models.withLock { set in
            if set.count < Self.maxModels || set.contains(model) { set.insert(model) }
        }
    }

    /// Counts a finished attempt for the attempt-level queries (every attempt of every request
    /// passes here, from the outcome sink).
    public func record(attempt: AttemptRecord) {
        attempts.record(attempt)
    }

    public func labelValues(_ label: SeriesLabel) -> [String] {
        switch label {
        case .region: regions
        case .model: models.withLock { $0.sorted() }
        default: []
        }
    }

    /// Attempt-level queries (region-scoped ones by default, or `level="attempt"`) count the
    /// attempts sent upstream, from the recent ones kept in memory; request-level ones count
    /// client requests, from the telemetry windows.
    public func window(_ query: WindowQuery, wallTime: Double) -> WindowResult {
        if let canary = query.canary {
            return canaries.window(
                canary, regions: query.regions, models: query.models, length: query.window,
                failing: query.failureClasses, wallTime: wallTime)
        }
        if query.level == .attempt {
            return attempts.window(
                regions: query.regions, models: query.models, length: query.window,
                failing: query.failureClasses, wallTime: wallTime)
        }
        let regionFilters: [String?] = query.regions.map { $0.map(Optional.some) } ?? [nil]
        let modelFilters: [String?] = query.models.map { $0.map(Optional.some) } ?? [nil]
        var result = WindowResult()
        var streak = 0
        for region in regionFilters {
            for model in modelFilters {
                let filter = TelemetryFilter(region: region, model: model)
                guard let stats = try? windows.stats(last: query.window, filter: filter, wallTime: wallTime) else { continue }
                var part = WindowResult(
                    outcomes: stats.counts.outcomes, status429: stats.counts.status429,
                    latency: stats.counts.latency.counts, ttfb: stats.counts.ttfb.counts)
                if query.wantsStreak {
                    let failing = Set(OutcomeClass.allCases.filter { query.failureClasses.contains(OutcomeClassSet([$0])) })
                    part.consecutiveFailures = (try? windows.consecutiveFailures(filter: filter, failing: failing)) ?? 0
                }
                streak = max(streak, part.consecutiveFailures)
                result.add(part)
            }
        }
        result.consecutiveFailures = streak
        return result
    }
}
