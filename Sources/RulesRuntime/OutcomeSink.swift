package import BallastCore

/// Where finished requests are reported: metrics, the telemetry store, the live windows
/// the rules read. Called once per client request, off the client's critical path (the
/// response has been sent or is streaming), so implementations must not block.
package protocol OutcomeSink: Sendable {
    func record(_ request: RequestRecord, attempts: [AttemptRecord], overhead: Double?)
}
