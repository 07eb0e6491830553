/// Which canary a request matched and the side it went to; telemetry and metrics are labelled
/// by it, so rules compare the two sides.
struct CanaryTag: Sendable, Hashable {
    enum Side: String, Sendable, CaseIterable {
        case old, new
    }

    var canary: String
    var side: Side
}
