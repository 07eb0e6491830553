public import BallastCore
import Dispatch
import Foundation
import Histogram
import Synchronization
public import Upstream

/// Drives a `LoadPlan` through an `UpstreamClient` (libcurl multi, pooled connections) and
/// measures every response exactly (HDR histograms, microsecond resolution).
///
/// A dedicated thread releases arrivals on schedule; completions are recorded on the
/// client's loop thread. Bounded in count and time, it always stops by itself.
public final class LoadGenerator: Sendable {
    private let client: UpstreamClient
    private let clock: any TimeSource

    public init(client: UpstreamClient, clock: any TimeSource = SystemClock()) {
        self.client = client
        self.clock = clock
    }

    /// Runs the plan to the end; `recorder` may be read meanwhile for live progress.
    public func run(_ plan: LoadPlan, recorder: LoadRecorder = LoadRecorder()) async -> LoadReport {
        let finished = DispatchSemaphore(value: 0)
        let clock = self.clock
        let client = self.client
        let start = clock.now()
        Thread.detachNewThread {
            var random = SeededRandom(seed: plan.seed)
            var scheduled = 0.0
            var index = 0
            while index < plan.maxRequests {
                // Exponential inter-arrival times give Poisson arrivals.
                scheduled += -log(1 - random.unit()) / plan.rate
                if scheduled >= plan.duration { break }
                let due = start.adding(seconds: scheduled)
                let now = clock.now()
                if due > now {
                    let wait = due.seconds(since: now)
                    if wait > 0.0002 { usleep(UInt32(wait * 1_000_000)) }
                }
                let request = plan.makeRequest(index, random.unit())
                recorder.started()
                client.submit(
                    request,
                    delegate: LoadCall(
                        recorder: recorder, scheduledAt: due, clock: clock,
                        onComplete: plan.onComplete))
                index += 1
            }
            finished.signal()
        }
        await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
            DispatchQueue.global().async {
                finished.wait()
                continuation.resume()
            }
        }
        // Wait for the stragglers, bounded.
        let deadline = clock.now().adding(seconds: plan.drainTimeout)
        while recorder.outstanding > 0, clock.now() < deadline {
            try? await Task.sleep(for: .milliseconds(5))
        }
        return recorder.report(offeredRate: plan.rate, elapsed: recorder.lastCompletion(orNow: clock.now()).seconds(since: start))
    }
}

/// The tallies of one run, safe to read while it goes on.
public final class LoadRecorder: Sendable {
    private struct State {
        var started = 0
        var completed = 0
        var succeeded = 0
        var failedByStatus: [Int: Int] = [:]
        var transportFailures = 0
        var latency = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        var ttfb = Histogram<UInt64>(highestTrackableValue: 3_600_000_000, numberOfSignificantValueDigits: .three)
        var bytes = 0
        var attempts = 0
        var withAttempts = 0
        var lastCompletion: MonotonicInstant?
        var regions: [String: Int] = [:]
    }

    private let state = Mutex(State())

    public init() {}

    func started() { state.withLock { $0.started += 1 } }

    var outstanding: Int { state.withLock { $0.started - $0.completed } }

    func record(
        status: Int?, failed: Bool, latency: Double, ttfb: Double?, bytes: Int, attempts: Int?,
        region: String?, at now: MonotonicInstant
    ) {
        state.withLock { s in
            if let region { s.regions[region, default: 0] += 1 }
            s.completed += 1
            s.lastCompletion = now
            s.bytes += bytes
            if let attempts {
                s.attempts += attempts
                s.withAttempts += 1
            }
            if failed || status == nil {
                s.transportFailures += 1
            } else if let status, (200..<300).contains(status) {
                s.succeeded += 1
                _ = s.latency.record(UInt64(max(1, latency * 1_000_000)))
                if let ttfb { _ = s.ttfb.record(UInt64(max(1, ttfb * 1_000_000))) }
            } else if let status {
                s.failedByStatus[status, default: 0] += 1
            }
        }
    }

    func lastCompletion(orNow now: MonotonicInstant) -> MonotonicInstant {
        state.withLock { $0.lastCompletion ?? now }
    }

    /// What has been recorded so far (requests still in flight count as neither).
    public func snapshot(elapsed: Double) -> LoadReport {
        var report = report(offeredRate: 0, elapsed: elapsed)
        report.transportFailures -= outstanding
        return report
    }

    func report(offeredRate: Double, elapsed: Double) -> LoadReport {
        state.withLock { s in
            LoadReport(
                offeredRate: offeredRate, started: s.started, succeeded: s.succeeded,
                failedByStatus: s.failedByStatus,
                transportFailures: s.transportFailures + (s.started - s.completed),
                elapsed: elapsed, latency: s.latency, timeToFirstByte: s.ttfb, bytesReceived: s.bytes,
                upstreamAttempts: s.attempts, responsesWithAttempts: s.withAttempts, regions: s.regions)
        }
    }
}

/// One request of a load run: counts its bytes and reports once.
final class LoadCall: UpstreamTransferDelegate, @unchecked Sendable {
    private let recorder: LoadRecorder
    private let scheduledAt: MonotonicInstant
    private let clock: any TimeSource
    private let onComplete: (@Sendable (LoadOutcome) -> Void)?
    // Loop-thread only.
    private var headers: HTTPHeaders = [:]
    private var status: Int?
    private var attempts: Int?
    private var region: String?
    private var firstByte: MonotonicInstant?
    private var bytes = 0
    private var sawErrorEvent = false
    private var tail: [UInt8] = []

    init(
        recorder: LoadRecorder, scheduledAt: MonotonicInstant, clock: any TimeSource,
        onComplete: (@Sendable (LoadOutcome) -> Void)? = nil
    ) {
        self.recorder = recorder
        self.scheduledAt = scheduledAt
        self.clock = clock
        self.onComplete = onComplete
    }

    func upstreamDidReceiveHead(_ head: UpstreamResponseHead) {
        status = head.status
        if onComplete != nil { headers = head.headers }
        attempts = head.headers["x-ballast-attempts"].flatMap(Int.init)
        region = head.headers["x-ballast-region"]
        firstByte = clock.now()
    }

    func upstreamDidReceive(_ data: UnsafeRawBufferPointer) -> Bool {
        bytes += data.count
        if !sawErrorEvent {
            // An SSE `error` event after a 200 is a failed request too; keep a short tail so
            // a marker split across chunks is still seen.
            let window = tail + Array(data)
            sawErrorEvent = window.containsSequence(Self.errorMarker)
            tail = Array(window.suffix(Self.errorMarker.count))
        }
        return true
    }

    private static let errorMarker = Array("event: error".utf8)

    func upstreamDidComplete(_ completion: UpstreamCompletion) {
        let now = clock.now()
        let failed = completion.error != nil || sawErrorEvent
        recorder.record(
            status: status, failed: failed, latency: now.seconds(since: scheduledAt),
            ttfb: firstByte.map { $0.seconds(since: scheduledAt) }, bytes: bytes, attempts: attempts,
            region: region, at: now)
        if let onComplete {
            let succeeded = !failed && status.map { (200..<300).contains($0) } == true
            onComplete(
                LoadOutcome(
                    status: status, succeeded: succeeded, scheduledAt: scheduledAt, completedAt: now,
                    headers: headers))
        }
    }
}

extension Array where Element == UInt8 {
    func containsSequence(_ needle: [UInt8]) -> Bool {
        guard !needle.isEmpty, count >= needle.count else { return false }
        for start in 0...(count - needle.count) where self[start] == needle[0] {
            if self[start..<(start + needle.count)].elementsEqual(needle) { return true }
        }
        return false
    }
}
