package import BallastCore
package import Telemetry
import RulesRuntime

/// Hands finished requests to the SQLite writer; never waits on it (a full buffer drops and
/// counts the record instead).
package struct TelemetrySink: OutcomeSink {
    let writer: TelemetryWriter

    package func record(_ request: RequestRecord, attempts: [AttemptRecord], overhead: Double?) {
        _ = writer.submit(request, attempts: attempts)
    }

    package init(writer: TelemetryWriter) {
        self.writer = writer
    }
}
