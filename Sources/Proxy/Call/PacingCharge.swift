public import Resilience

/// What pacing charged one attempt, and under which key, so the answer and its usage go back
/// to the same allowance.
public struct PacingCharge: Sendable, Equatable {
    public let key: String
    public let cost: RequestCost

    public init(key: String, cost: RequestCost) {
        self.key = key
        self.cost = cost
    }
}
