import BallastCore
import Telemetry

/// Hands finished requests to the SQLite writer; never waits on it (a full buffer drops and
/// counts the record instead).
struct TelemetrySink: OutcomeSink {
    let writer: TelemetryWriter

    func record(_ request: RequestRecord, attempts: [AttemptRecord], overhead: Double?) {
        _ = writer.submit(request, attempts: attempts)
    }
}
