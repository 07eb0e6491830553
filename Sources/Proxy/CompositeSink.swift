package import BallastCore
package import RulesRuntime

/// Reports each finished request to several sinks, in order.
package struct CompositeSink: OutcomeSink {
    let sinks: [any OutcomeSink]

    package func record(_ request: RequestRecord, attempts: [AttemptRecord], overhead: Double?) {
        for sink in sinks { sink.record(request, attempts: attempts, overhead: overhead) }
    }

    package init(sinks: [any OutcomeSink]) {
        self.sinks = sinks
    }
}
