import BallastCore

/// A `WindowSource` over per-second samples held in memory: what `ballast rules test` feeds its
/// synthetic series into, and what unit tests and benchmarks use.
///
/// Each series (one region and model) keeps running totals per second, so any window is two
/// subtractions per series: an hour of telemetry costs no more to ask about than ten seconds.
/// Sample `s` holds the requests that arrived in the second ending at `s`; a window
/// `(now - w, now]` holds the samples `s` with `now - w < s <= now`. A series counts at both
/// levels (requests that made one attempt each) unless it was added for one `SeriesLevel`.
public struct InMemoryWindowSource: WindowSource {
    /// Counters per second: outcomes, 429s, latency buckets, TTFB buckets.
    static let stride = OutcomeClass.allCases.count + 1 + 2 * LatencyBuckets.count
    private static let statusOffset = OutcomeClass.allCases.count
    private static let latencyOffset = statusOffset + 1
    private static let ttfbOffset = latencyOffset + LatencyBuckets.count

    private struct Series: Sendable {
        var first: Int
        /// `(count + 1) * stride` running totals; row `k` sums samples `first ..< first + k`.
        var totals: [Int]
        var count: Int { totals.count / InMemoryWindowSource.stride - 1 }
    }

    /// A series: its labels, and the level it counts at (nil: both, a request that made
    /// exactly one attempt).
    private struct Key: Hashable, Sendable {
        var labels: SeriesLabels
        var level: SeriesLevel?
        /// Set for a canary side's attempts; such a series answers canary queries only.
        var canary: CanarySelector?
    }

    private var series: [Key: Series] = [:]
    private var order: [Key] = []
    private var regions: [String]
    private var models: [String]

    /// - Parameters: regions, models: label values known before any sample arrives.
    public init(regions: [String] = [], models: [String] = []) {
        self.regions = regions
        self.models = models
    }

    /// Adds `sample` (its additive fields) to the second `second` of the series `labels`.
    /// Seconds may come in any order; appending at or after the latest one is O(1) per second
    /// in between, so keep a series' seconds close together (memory grows with the span).
    ///
    /// - Parameter level: what the sample counts: nil for requests that made one attempt each
    ///   (read at both levels), `.request` or `.attempt` for one level only (requests that
    ///   succeeded after a failed attempt: the failure is an attempt-level sample).
    /// - Parameter canary: for the attempts of one canary's side (name and side); such series
    ///   answer only `canary=` queries, and those read nothing else.
    public mutating func add(
        _ sample: WindowResult, second: Int, labels: SeriesLabels, level: SeriesLevel? = nil,
        canary: CanarySelector? = nil
    ) {
        if let region = labels.region, !regions.contains(region) { regions.append(region) }
        if let model = labels.model, !models.contains(model) { models.append(model) }
        let stride = Self.stride
        let key = Key(labels: labels, level: canary == nil ? level : .attempt, canary: canary)
        // Taken out of the dictionary while it grows, so the totals are not copied each time.
        var entry =
            series.removeValue(forKey: key)
            ?? {
                order.append(key)
                return Series(first: second, totals: Array(repeating: 0, count: stride))
            }()
        if second < entry.first {
            let missing = entry.first - second
            entry.totals.insert(contentsOf: repeatElement(0, count: missing * stride), at: 0)
            entry.first = second
        }
        let lastSecond = entry.first + entry.count - 1
        if second > lastSecond {
            let lastRow = Array(entry.totals[(entry.count * stride)...])
            for _ in 0..<(second - lastSecond) { entry.totals.append(contentsOf: lastRow) }
        }
        let values = Self.flatten(sample)
        for row in (second - entry.first + 1)...entry.count {
            let base = row * stride
            for index in 0..<stride where values[index] != 0 { entry.totals[base + index] += values[index] }
        }
        series[key] = entry
    }

    public func labelValues(_ label: SeriesLabel) -> [String] {
        switch label {
        case .region: regions
        case .model: models
        case .class, .level, .canary, .migration: []
        }
    }

    public func window(_ query: WindowQuery, wallTime: Double) -> WindowResult {
        let high = Int(wallTime.rounded(.down))
        let low = Int((wallTime - query.window).rounded(.down)) + 1
        var totals = Array(repeating: 0, count: Self.stride)
        var matching: [Series] = []
        for key in order
        where key.level.map({ $0 == query.level }) ?? true
            && query.matches(region: key.labels.region, model: key.labels.model)
            && Self.canaryMatches(query.canary, key.canary)
        {
            guard let entry = series[key] else { continue }
            matching.append(entry)
            let from = max(low, entry.first) - entry.first
            let to = min(high, entry.first + entry.count - 1) - entry.first + 1
            guard to > from else { continue }
            let fromBase = from * Self.stride
            let toBase = to * Self.stride
            for index in 0..<Self.stride { totals[index] += entry.totals[toBase + index] - entry.totals[fromBase + index] }
        }
        var result = Self.unflatten(totals)
        result.consecutiveFailures = Self.consecutiveFailures(matching, low: low, high: high, classes: query.failureClasses)
        return result
    }

    private static func canaryMatches(_ selector: CanarySelector?, _ series: CanarySelector?) -> Bool {
        switch (selector, series) {
        case (nil, nil): true
        case (let selector?, let series?): selector.covers(series)
        default: false
        }
    }

    /// Walks back from `high` one second at a time: a second in which every request failed
    /// adds its failures; the first second with any other request ends the run (the order of
    /// requests inside one second is not kept, so such a second's failures are not counted).
    private static func consecutiveFailures(_ matching: [Series], low: Int, high: Int, classes: OutcomeClassSet) -> Int {
        guard high >= low else { return 0 }
        var run = 0
        var second = high
        while second >= low {
            var failures = 0
            var others = 0
            for entry in matching {
                let row = second - entry.first
                guard row >= 0, row < entry.count else { continue }
                let base = row * stride
                for outcome in OutcomeClass.allCases {
                    let index = outcome.countIndex
                    let count = entry.totals[base + stride + index] - entry.totals[base + index]
                    if classes.contains(outcome) { failures += count } else { others += count }
                }
            }
            if others > 0 { break }
            run += failures
            second -= 1
        }
        return run
    }

    private static func flatten(_ sample: WindowResult) -> [Int] {
        var values = sample.outcomes
        values.append(sample.status429)
        values.append(contentsOf: sample.latency)
        values.append(contentsOf: sample.ttfb)
        return values
    }

    private static func unflatten(_ values: [Int]) -> WindowResult {
        WindowResult(
            outcomes: Array(values[0..<statusOffset]), status429: values[statusOffset],
            latency: Array(values[latencyOffset..<ttfbOffset]),
            ttfb: Array(values[ttfbOffset..<(ttfbOffset + LatencyBuckets.count)]))
    }
}
