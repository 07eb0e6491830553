public import BallastCore

/// One finished request of a load run as its client saw it, handed to `LoadPlan.onComplete`
/// so a caller can keep tallies the run's own histograms cannot give (per phase, per second,
/// failures with their latency).
public struct LoadOutcome: Sendable {
    /// The response status; nil when no response head arrived (connect failure, reset).
    public var status: Int?
    /// A 2xx that completed without a transport error or an SSE `error` event.
    public var succeeded: Bool
    /// When the request was due (open loop: latency counts from here, not from the send).
    public var scheduledAt: MonotonicInstant
    /// When the client saw the end: the last byte, or the failure.
    public var completedAt: MonotonicInstant
    /// The response headers (empty without a response head).
    public var headers: HTTPHeaders

    public init(
        status: Int?, succeeded: Bool, scheduledAt: MonotonicInstant, completedAt: MonotonicInstant,
        headers: HTTPHeaders
    ) {
        self.status = status
        self.succeeded = succeeded
        self.scheduledAt = scheduledAt
        self.completedAt = completedAt
        self.headers = headers
    }

    /// Seconds from the scheduled arrival to the end the client saw.
    public var latency: Double { completedAt.seconds(since: scheduledAt) }
}
