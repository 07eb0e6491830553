/// A fault a test forces on one request with the `x-sim-fault` header.
public enum ForcedFault: Sendable, Equatable {
    /// 429, 500, 502, 503, 504 or 529.
    case status(Int)
    case reset
    case streamError
    /// The region's stall duration before the first byte.
    case stall
    /// The 429 of a workspace that reached its spend limit: not retryable (`x-should-retry:
    /// false`, no `retry-after`), unlike the rate-limit 429.
    case spendLimit

    public init?(headerValue: String) {
        switch headerValue.lowercased() {
        case "reset": self = .reset
        case "stream_error": self = .streamError
        case "stall": self = .stall
        case "spend_limit": self = .spendLimit
        default:
            guard let status = Int(headerValue), FaultSettings.errorStatuses.contains(status) else { return nil }
            self = .status(status)
        }
    }

    /// The decision this fault stands for (a stall is a latency, not a failure).
    var decision: FaultDecision {
        switch self {
        case .status(let status): .error(status)
        case .reset: .reset
        case .streamError: .streamError
        case .stall: .none
        case .spendLimit: .spendLimit
        }
    }
}
