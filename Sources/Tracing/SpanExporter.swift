import Dispatch
import Synchronization

/// Drives an `ExportQueue`: the request path hands spans over with `submit` (a lock and an
/// append), a timer of its own exports them. Encoding runs on the exporter's own queue, and
/// the POST goes out through `post` (the gateway's libcurl loop), so neither the request path
/// nor the loop thread ever encodes or waits for the collector.
public final class SpanExporter: Sendable {
    /// Sends one encoded body and reports whether the collector took it (a 2xx answer in
    /// time). Must return at once; the answer comes later, on any thread.
    public typealias Post = @Sendable (_ body: [UInt8], _ done: @escaping @Sendable (Bool) -> Void) -> Void

    private let state: Mutex<ExportQueue>
    private let stopped = Atomic<Bool>(false)
    private let encoder: OTLPEncoder
    private let post: Post
    private let wallTime: @Sendable () -> Double
    private let queue = DispatchQueue(label: "ballast-trace-export")
    private let tick: Double

    public init(
        encoder: OTLPEncoder, capacity: Int, batchSize: Int, interval: Double,
        wallTime: @escaping @Sendable () -> Double, post: @escaping Post
    ) {
        self.encoder = encoder
        self.post = post
        self.wallTime = wallTime
        tick = min(interval, 1)
        state = Mutex(ExportQueue(capacity: capacity, batchSize: batchSize, interval: interval, now: wallTime()))
    }

    public func start() {
        schedule()
    }

    /// Stops the timer after one last export of what is queued (its answer is not awaited).
    public func stop() {
        guard !stopped.exchange(true, ordering: .relaxed) else { return }
        queue.async { [self] in exportDue(force: true) }
    }

    /// Hands finished spans over; never blocks, drops and counts when full.
    public func submit(_ spans: [Span]) {
        guard !spans.isEmpty else { return }
        let full = state.withLock { $0.add(spans) }
        if full { queue.async { [self] in exportDue(force: false) } }
    }

    /// Hands over `count` spans that `build` makes, only when the queue has room for them: with
    /// the collector down for long the queue stays full, and the spans are then counted as
    /// dropped without being built at all. `build` runs on the exporter's queue, not on the
    /// caller's thread (the libcurl loop, which every transfer shares).
    public func submit(count: Int, _ build: @escaping @Sendable () -> [Span]) {
        guard reserve(count) else { return }
        submit(built: build)
    }

    /// True when the queue has room for `count` spans; counts them as dropped otherwise.
    public func reserve(_ count: Int) -> Bool {
        count > 0 && state.withLock { $0.reserve(count) }
    }

    /// Builds spans already reserved, on the exporter's queue.
    public func submit(built build: @escaping @Sendable () -> [Span]) {
        queue.async { [self] in submit(build()) }
    }

    /// What the queue holds and what it has done, for metrics.
    public var snapshot: ExportQueue { state.withLock { $0 } }

    private func schedule() {
        queue.asyncAfter(deadline: .now() + tick) { [self] in
            guard !stopped.load(ordering: .relaxed) else { return }
            exportDue(force: false)
            schedule()
        }
    }

    private func exportDue(force: Bool) {
        let now = wallTime()
        guard let batch = state.withLock({ $0.take(now: now, force: force) }) else { return }
        let body = encoder.encode(batch)
        post(body) { [self] success in
            let now = wallTime()
            state.withLock { $0.finished(success: success, now: now) }
        }
    }
}
