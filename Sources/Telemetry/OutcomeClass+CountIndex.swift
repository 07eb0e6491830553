import BallastCore

extension OutcomeClass {
    /// Position in `OutcomeClass.allCases`, used to index `TelemetryCounts.outcomes`.
    package var countIndex: Int {
        switch self {
        case .success: 0
        case .client: 1
        case .upstream: 2
        case .local: 3
        case .ballast: 4
        }
    }
}
