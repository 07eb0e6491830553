package import BallastCore
package import RulesRuntime

/// Tells the rules' window source which models are in use (for `by (model)` and matchers)
/// and what happened to every attempt (for region health).
package struct ModelNoteSink: OutcomeSink {
    let source: TelemetryWindowSource

    package func record(_ request: RequestRecord, attempts: [AttemptRecord], overhead: Double?) {
        source.noteModel(request.model)
        for attempt in attempts { source.record(attempt: attempt) }
    }

    package init(source: TelemetryWindowSource) {
        self.source = source
    }
}
