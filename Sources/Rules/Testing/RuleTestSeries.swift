public import BallastConfig
public import BallastCore

/// One input series of a rule test: per-second request counts and outcomes of one region and
/// model.
public struct RuleTestSeries: Sendable {
    public var labels: SeriesLabels
    /// `labels.level`: nil (both: requests that made one attempt each), or only the client's
    /// requests or only the upstream attempts, to show what retries hide.
    public var level: SeriesLevel?
    /// `labels.canary` and `labels.migration`: the attempts of one canary's side.
    public var canary: CanarySelector?
    /// `requests`; when absent, every request of a second is one of its errors.
    public var requests: [Double?]?
    /// `errors_upstream`, `errors_local`, `errors_client`, `errors_ballast`.
    public var errors: [OutcomeClass: [Double?]]
    /// `rate_limited`: requests answered 429, counted as upstream errors too.
    public var rateLimited: [Double?]
    /// `latency` and `ttfb`: seconds, the same for every request of that second.
    public var latency: [Double?]
    public var ttfb: [Double?]
    public var location: SourceLocation

    var length: Int {
        ([requests?.count ?? 0, rateLimited.count, latency.count, ttfb.count] + errors.values.map(\.count)).max() ?? 0
    }

    /// The sample of second `index`, or a message when its errors exceed its requests.
    func sample(_ index: Int) -> Result<WindowResult, TestInputError> {
        func value(_ list: [Double?]?) -> Int {
            guard let list, index < list.count, let v = list[index] else { return 0 }
            return Int(v.rounded())
        }
        var result = WindowResult()
        var failed = 0
        for (outcome, list) in errors {
            let count = value(list)
            result.outcomes[outcome.countIndex] += count
            failed += count
        }
        let limited = value(rateLimited)
        result.outcomes[OutcomeClass.upstream.countIndex] += limited
        result.status429 = limited
        failed += limited
        let total = requests == nil ? failed : value(requests)
        guard total >= failed else {
            return .failure(TestInputError("second \(index): \(failed) errors but only \(total) requests"))
        }
        result.outcomes[OutcomeClass.success.countIndex] = total - failed
        if index < latency.count, let seconds = latency[index], total > 0 {
            result.latency[LatencyBuckets.index(for: seconds)] += total
        }
        if index < ttfb.count, let seconds = ttfb[index], total > 0 {
            result.ttfb[LatencyBuckets.index(for: seconds)] += total
        }
        return .success(result)
    }
}
