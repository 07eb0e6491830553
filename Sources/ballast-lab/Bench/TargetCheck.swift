import Foundation

/// A target from the resilience issue next to what was measured. The verdict is reported,
/// never asserted: a missed target is a finding, and the run goes on.
struct TargetCheck: Sendable {
    var target: String
    var measured: String
    /// nil when the run cannot tell (e.g. no errors on either side).
    var met: Bool?

    static func table(_ checks: [TargetCheck]) -> BenchTable {
        BenchTable(
            columns: ["target", "measured", "verdict"],
            rows: checks.map { [$0.target, $0.measured, $0.met.map { $0 ? "met" : "**missed**" } ?? "not measurable"] })
    }

    /// `value <= limit`, both shown as percentages.
    static func atMost(_ target: String, _ value: Double, _ limit: Double, measured: String? = nil) -> TargetCheck {
        TargetCheck(target: target, measured: measured ?? BenchFormat.percent(value), met: value <= limit)
    }

    /// A failure rate of at most `limit`, judged on `failures` of `total`: "met" only when the
    /// rate's 95 % upper bound is within the limit too. Zero failures in 3,000 requests say the
    /// rate is below 0.1 % with 95 % confidence, not that it is below 0.05 %: such a run is
    /// "not measurable" for a 0.05 % target (it needed at least 6,000 requests).
    static func failureRate(
        _ target: String, failures: Int, of total: Int, atMost limit: Double,
        measured: String? = nil
    ) -> TargetCheck {
        let rate = total == 0 ? 0 : Double(failures) / Double(total)
        let upper = upperBound95(failures: failures, of: total)
        let text = (measured ?? BenchFormat.percent(rate)) + " (95% upper bound \(BenchFormat.percent(upper)))"
        let met: Bool? = rate > limit ? false : (upper <= limit ? true : nil)
        return TargetCheck(target: target, measured: text, met: met)
    }

    /// The one-sided 95 % upper bound of a binomial rate (Clopper-Pearson, found by bisection on
    /// the binomial tail; for zero failures it is 1 - 0.05^(1/n), the "rule of three" 3/n).
    static func upperBound95(failures: Int, of total: Int) -> Double {
        guard total > 0 else { return 1 }
        guard failures < total else { return 1 }
        // P(X <= failures | p) = 0.05, decreasing in p.
        func tail(_ p: Double) -> Double {
            var term = pow(1 - p, Double(total))
            var sum = term
            guard failures > 0 else { return sum }
            for k in 1...failures {
                term *= Double(total - k + 1) / Double(k) * p / (1 - p)
                sum += term
            }
            return sum
        }
        var low = Double(failures) / Double(total), high = 1.0
        for _ in 0..<60 {
            let middle = (low + high) / 2
            if tail(middle) > 0.05 { low = middle } else { high = middle }
        }
        return high
    }
}
