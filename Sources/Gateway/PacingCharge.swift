import Resilience

/// What pacing charged one attempt, and under which key, so the answer and its usage go back
/// to the same allowance.
struct PacingCharge: Sendable {
    let key: String
    let cost: RequestCost
}
