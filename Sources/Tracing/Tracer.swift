import BallastCore
import Synchronization

/// Tracing as the proxy sees it: begin a request's trace from its headers, hand its spans to
/// the exporter when it is recorded. One per gateway; nil when `tracing` is off.
public final class Tracer: Sendable {
    public let sampler: TraceSampler
    public let exporter: SpanExporter
    /// Ids come from a SplitMix64 stream seeded once from the system's generator: W3C asks
    /// for random ids, not secret ones, and a `getrandom` call per id cost a system call on
    /// every request for nothing.
    private let random: Mutex<SeededRandom>

    public init(sampler: TraceSampler, exporter: SpanExporter) {
        self.sampler = sampler
        self.exporter = exporter
        var system = SystemRandomNumberGenerator()
        random = Mutex(SeededRandom(seed: system.next()))
    }

    public func begin(traceparent: String?, tracestate: String?) -> RequestTrace {
        random.withLock { RequestTrace.begin(traceparent: traceparent, tracestate: tracestate, sampler: sampler, random: &$0) }
    }

    /// A new attempt span's id.
    public func spanID() -> [UInt8] {
        random.withLock { RequestTrace.id(bytes: 8, random: &$0) }
    }

    /// Queues a request's `count` spans when its trace is sampled and the queue has room;
    /// builds them only then, on the exporter's queue.
    public func finish(_ trace: RequestTrace, count: Int, spans: @escaping @Sendable () -> [Span]) {
        guard trace.sampled else { return }
        exporter.submit(count: count, spans)
    }

    /// Whether a sampled request's `count` spans have room in the export queue (counted as
    /// dropped when not): the caller then gathers what the spans need, and only then.
    public func reserve(_ trace: RequestTrace, count: Int) -> Bool {
        trace.sampled && exporter.reserve(count)
    }

    /// Queues spans reserved with `reserve`; they are built on the exporter's queue.
    public func finishReserved(_ spans: @escaping @Sendable () -> [Span]) {
        exporter.submit(built: spans)
    }
}
