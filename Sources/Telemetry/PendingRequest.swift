import BallastCore

/// A request record in the hand-off buffer, with the row id it was given at hand-off.
struct PendingRequest: Sendable {
    var id: Int64
    var record: RequestRecord
    var attempts: [AttemptRecord]
}
