import BallastCore

/// Tells the rules' window source which models are in use (for `by (model)` and matchers)
/// and what happened to every attempt (for region health).
struct ModelNoteSink: OutcomeSink {
    let source: TelemetryWindowSource

    func record(_ request: RequestRecord, attempts: [AttemptRecord], overhead: Double?) {
        source.noteModel(request.model)
        for attempt in attempts { source.record(attempt: attempt) }
    }
}
