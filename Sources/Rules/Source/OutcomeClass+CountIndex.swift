import BallastCore

extension OutcomeClass {
    /// The position of the class in `allCases`: the index of its counter in a `WindowResult`
    /// (internal: Telemetry has its own, and two public ones would clash in the gateway).
    var countIndex: Int {
        switch self {
        case .success: 0
        case .client: 1
        case .upstream: 2
        case .local: 3
        case .ballast: 4
        }
    }
}
