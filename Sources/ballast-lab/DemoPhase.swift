/// One scripted fault of the demo, placed as fractions of the run so that `--duration`
/// stretches or shrinks the whole script alike.
struct DemoPhase: Sendable {
    enum Kind: Sendable, CaseIterable {
        case rateLimitBurst, slowTail, tokenExpiry, outage, overload
    }

    let kind: Kind
    /// Start and end as fractions of the run.
    let start: Double
    let end: Double
    /// A short name for tables and the live view.
    let title: String
    /// What happens, for the header of the run.
    let detail: String

    func contains(_ elapsed: Double, seconds: Double) -> Bool {
        elapsed >= start * seconds && elapsed < end * seconds
    }
}
