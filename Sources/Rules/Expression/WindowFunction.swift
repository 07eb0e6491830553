import BallastCore
/// The functions of the rule language: each reads one window of telemetry.
public enum WindowFunction: String, Sendable, CaseIterable, Hashable {
    /// Requests per second (of the selected classes; all by default).
    case requestRate = "request_rate"
    /// Requests in the window (of the selected classes; all by default).
    case requestCount = "request_count"
    /// Share of requests whose class is selected (default `upstream|local`); no value without requests.
    case errorRatio = "error_ratio"
    /// Failed requests per second (classes as for `error_ratio`).
    case errorRate = "error_rate"
    /// Failed requests in the window (classes as for `error_ratio`).
    case errorCount = "error_count"
    /// Share of requests answered 429; no value without requests.
    case rateLimitRatio = "rate_limit_ratio"
    /// Requests answered 429 in the window.
    case rateLimitCount = "rate_limit_count"
    /// The q-quantile of request latency in seconds, from the shared histogram buckets.
    case latencyQuantile = "latency_quantile"
    /// The q-quantile of time to first byte in seconds.
    case ttfbQuantile = "ttfb_quantile"
    /// The latest run of failed requests (classes as for `error_ratio`) within the window.
    case consecutiveFailures = "consecutive_failures"

    var takesQuantile: Bool { self == .latencyQuantile || self == .ttfbQuantile }

    /// Whether a `class` matcher means something for the function.
    var acceptsClass: Bool { !takesQuantile && self != .rateLimitRatio && self != .rateLimitCount }

    /// The classes counted when the selector has no `class` matcher.
    var defaultClasses: OutcomeClassSet {
        switch self {
        case .requestRate, .requestCount: .all
        default: .defaultFailures
        }
    }

    /// The function's value for one window of counts.
    func value(_ result: WindowResult, classes: OutcomeClassSet, quantile: Double, window: Double) -> Double {
        switch self {
        case .requestRate, .errorRate:
            return Double(result.count(classes)) / window
        case .requestCount, .errorCount:
            return Double(result.count(classes))
        case .errorRatio:
            let total = result.requests
            return total == 0 ? .nan : Double(result.count(classes)) / Double(total)
        case .rateLimitRatio:
            let total = result.requests
            return total == 0 ? .nan : Double(result.status429) / Double(total)
        case .rateLimitCount:
            return Double(result.status429)
        case .latencyQuantile:
            // "No value" is NaN, the form the evaluator computes with.
            return LatencyBuckets.quantile(quantile, counts: result.latency) ?? .nan
        case .ttfbQuantile:
            return LatencyBuckets.quantile(quantile, counts: result.ttfb) ?? .nan
        case .consecutiveFailures:
            return Double(result.consecutiveFailures)
        }
    }

    static var names: String { allCases.map(\.rawValue).joined(separator: ", ") }
}
