public import BallastCore

/// Whether the store is taking writes, judged from the last writes: a policy value that is
/// told each outcome with its time and answers for a given time (`StoreHealth` holds it
/// behind a lock and feeds it the clock).
///
/// The store is degraded while its latest write failed and that failure is recent. Every
/// batch of the telemetry writer and every operator write counts, so under traffic the
/// answer follows the store within one flush interval; once the store takes a write again it
/// is healthy at once. Without any write for `window` nothing says the store is still
/// broken, so the degraded state lapses (a probe that stayed red through an idle night would
/// page someone for a failure nobody can see any more).
public struct StoreHealthState: Sendable, Equatable {
    /// How long a failure keeps the store degraded when no write succeeds after it. Three
    /// periods of a 10 s readiness probe.
    public static let defaultWindow: Duration = .seconds(30)

    public var window: Duration
    /// The last failed and the last successful write.
    private var lastFailureAt: MonotonicInstant?
    private var lastSuccessAt: MonotonicInstant?
    /// Wall-clock seconds (since the Unix epoch, for the report) of the first failure since the
    /// last success.
    private var failingSince: Double?
    private var lastReason: StoreFailureReason?
    private var lastMessage = ""
    private var lastFailureWall: Double?

    public init(window: Duration = StoreHealthState.defaultWindow) {
        precondition(window > .zero, "the degraded window must be positive")
        self.window = window
    }

    public mutating func succeeded(at monotonic: MonotonicInstant) {
        lastSuccessAt = monotonic
        failingSince = nil
    }

    public mutating func failed(_ reason: StoreFailureReason, message: String, at monotonic: MonotonicInstant, wall: Double) {
        if failingSince == nil { failingSince = wall }
        lastFailureAt = monotonic
        lastFailureWall = wall
        lastReason = reason
        lastMessage = message
    }

    public func report(at monotonic: MonotonicInstant) -> StoreHealthReport {
        guard let failure = lastFailureAt, let reason = lastReason, lastSuccessAt.map({ $0 < failure }) ?? true,
            monotonic - failure <= window
        else {
            return StoreHealthReport(
                healthy: true, reason: nil, message: nil, failingSince: nil,
                lastFailureAt: lastFailureWall)
        }
        return StoreHealthReport(
            healthy: false, reason: reason, message: lastMessage, failingSince: failingSince,
            lastFailureAt: lastFailureWall)
    }
}
