public import BallastCore
public import Resilience

/// What pacing charged one attempt, and under which key, so the answer and its usage go back
/// to the same allowance.
public struct PacingCharge: Sendable, Equatable {
    public let key: String
    public let cost: RequestCost
    /// The slot a waiting request reserved (nil: admitted at once). A reservation released
    /// unused (the request went elsewhere) takes its entry out of the allowance's log too: left
    /// there, it read as a send that the answers' `remaining` did not show yet, the model kept
    /// the bucket in debt for it, and the region idled while its line waited (the capacity
    /// simulation's region-down scenario: the standby had 5 requests in flight, not 24, for
    /// two seconds after the primary came back and the waiters moved there).
    public var due: MonotonicInstant?

    public init(key: String, cost: RequestCost, due: MonotonicInstant? = nil) {
        self.key = key
        self.cost = cost
        self.due = due
    }
}
