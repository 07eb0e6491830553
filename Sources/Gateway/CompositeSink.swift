import BallastCore

/// Reports each finished request to several sinks, in order.
struct CompositeSink: OutcomeSink {
    let sinks: [any OutcomeSink]

    func record(_ request: RequestRecord, attempts: [AttemptRecord], overhead: Double?) {
        for sink in sinks { sink.record(request, attempts: attempts, overhead: overhead) }
    }
}
