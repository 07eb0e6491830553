import BallastCore

/// `LatencyBuckets.quantile` with "no value" as NaN, the form the evaluator computes with.
enum LatencyBucketsQuantile {
    static func value(_ q: Double, _ counts: [Int]) -> Double {
        LatencyBuckets.quantile(q, counts: counts) ?? .nan
    }
}
