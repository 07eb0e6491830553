import BallastCore
import Synchronization

/// Tracing as the proxy sees it: begin a request's trace from its headers, hand its spans to
/// the exporter when it is recorded. One per gateway; nil when `tracing` is off.
public final class Tracer: Sendable {
    public let sampler: TraceSampler
    public let exporter: SpanExporter
    private let random = Mutex(SystemRandomNumberGenerator())

    public init(sampler: TraceSampler, exporter: SpanExporter) {
        self.sampler = sampler
        self.exporter = exporter
    }

    public func begin(traceparent: String?, tracestate: String?) -> RequestTrace {
        random.withLock { RequestTrace.begin(traceparent: traceparent, tracestate: tracestate, sampler: sampler, random: &$0) }
    }

    /// A new attempt span's id.
    public func spanID() -> [UInt8] {
        random.withLock { RequestTrace.id(bytes: 8, random: &$0) }
    }

    /// Queues a request's spans when its trace is sampled.
    public func finish(_ trace: RequestTrace, spans: @autoclosure () -> [Span]) {
        guard trace.sampled else { return }
        exporter.submit(spans())
    }
}
