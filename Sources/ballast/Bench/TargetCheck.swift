/// A target from the resilience issue next to what was measured. The verdict is reported,
/// never asserted: a missed target is a finding, and the run goes on.
struct TargetCheck: Sendable {
    var target: String
    var measured: String
    /// nil when the run cannot tell (e.g. no errors on either side).
    var met: Bool?

    static func table(_ checks: [TargetCheck]) -> BenchTable {
        BenchTable(columns: ["target", "measured", "verdict"],
                   rows: checks.map { [$0.target, $0.measured, $0.met.map { $0 ? "met" : "**missed**" } ?? "not measurable"] })
    }

    /// `value <= limit`, both shown as percentages.
    static func atMost(_ target: String, _ value: Double, _ limit: Double, measured: String? = nil) -> TargetCheck {
        TargetCheck(target: target, measured: measured ?? BenchFormat.percent(value), met: value <= limit)
    }
}
