import Dispatch
import HTTPServer
import Synchronization

/// Feeds one `StreamScript` into a `ResponseStream` at the script's pace.
///
/// It never blocks a thread: it writes what is due, then waits on a timer for the next
/// event, on the stream's drain handler when the client reads slower than it writes
/// (`.full`), and stops at once when the client is gone (`.closed` / cancel).
final class StreamProducer: Sendable {
    private struct State {
        var next = 0
        var pending: [UInt8]?
        var finished = false
        var timerArmed = false
    }

    private enum Outcome {
        case completed, streamError, aborted
    }

    /// Due events are coalesced into writes of up to this many bytes.
    private static let batchBytes = 64 * 1024

    private let stream: ResponseStream
    private let script: StreamScript
    private let stats: StatsRecorder
    private let queue: DispatchQueue
    private let state = Mutex(State())
    private let startNanoseconds = Atomic<UInt64>(0)
    /// Called once when the stream ends, however: the region counts the request as served.
    private let onFinish: @Sendable () -> Void

    init(
        stream: ResponseStream, script: StreamScript, stats: StatsRecorder, target: DispatchQueue,
        onFinish: @escaping @Sendable () -> Void = {}
    ) {
        self.stream = stream
        self.script = script
        self.stats = stats
        self.onFinish = onFinish
        queue = DispatchQueue(label: "ballast.simulator.stream", target: target)
    }

    /// Starts writing; the first events go out now (the caller already waited the first byte).
    func begin() {
        startNanoseconds.store(DispatchTime.now().uptimeNanoseconds, ordering: .relaxed)
        stream.onDrain { [self] in queue.async { self.pump() } }
        stream.onCancel { [self] in queue.async { self.cancelled() } }
        queue.async { self.pump() }
    }

    private func pump(fromTimer: Bool = false) {
        let outcome = state.withLock { s -> Outcome? in
            if fromTimer { s.timerArmed = false }
            guard !s.finished else { return nil }
            while true {
                if let pending = s.pending {
                    switch stream.write(pending) {
                    case .accepted:
                        stats.sent(bytes: pending.count)
                        s.pending = nil
                    case .full:
                        return nil  // the drain handler pumps again
                    case .closed:
                        s.finished = true
                        return .aborted
                    }
                }
                if s.next >= script.count {
                    s.finished = true
                    stream.finish()
                    return script.endsWithError ? .streamError : .completed
                }
                let start = startNanoseconds.load(ordering: .relaxed)
                let elapsed = Double(DispatchTime.now().uptimeNanoseconds &- start) / 1e9
                var batch: [UInt8] = []
                while s.next < script.count, script.due(s.next) <= elapsed, batch.count < Self.batchBytes {
                    let bytes = script.bytes(s.next)
                    if batch.isEmpty { batch = bytes } else { batch.append(contentsOf: bytes) }
                    s.next += 1
                }
                if batch.isEmpty {
                    if !s.timerArmed {
                        s.timerArmed = true
                        let due = start &+ UInt64(script.due(s.next) * 1e9)
                        queue.asyncAfter(deadline: DispatchTime(uptimeNanoseconds: due)) { self.pump(fromTimer: true) }
                    }
                    return nil
                }
                s.pending = batch
            }
        }
        if let outcome { finish(outcome) }
    }

    private func cancelled() {
        let first = state.withLock { s -> Bool in
            if s.finished { return false }
            s.finished = true
            s.pending = nil
            return true
        }
        if first { finish(.aborted) }
    }

    private func finish(_ outcome: Outcome) {
        // The stream holds these handlers, and they hold this producer: drop both.
        stream.onDrain {}
        stream.onCancel {}
        onFinish()
        stats.update { stats in
            stats.streamsActive -= 1
            switch outcome {
            case .completed: stats.streamsCompleted += 1
            case .streamError: stats.streamErrors += 1
            case .aborted: stats.streamsAbortedByClient += 1
            }
        }
    }
}
