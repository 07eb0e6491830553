import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Process-wide signal set-up, done once by the executable before any other thread starts and
/// before any file is read: SIGPIPE is ignored (a closed socket is an error code, not a
/// death), and the signals Ballast acts on are blocked in every thread and received by one
/// watcher thread with `sigwait`.
///
/// Until a command takes the signals over, SIGINT and SIGTERM end the process at once (status
/// 128 + signal) and SIGHUP is ignored. Before, the signals were blocked and only `serve` and
/// `simulate` ever waited for them, so `rules check` on a FIFO ignored `timeout`'s SIGTERM and
/// ran for 18 minutes. `serve` and `simulate` call `takeOver()` once they are running, and
/// then receive every signal through `wait()` for a graceful stop.
package enum ProcessSignals {
    static let handled: [Int32] = [SIGINT, SIGTERM, SIGHUP]

    /// Signals received after `takeOver()`, for `wait()`.
    private static let inbox = Mutex<Inbox>(Inbox())
    private static let arrived = DispatchSemaphore(value: 0)

    private struct Inbox {
        var takenOver = false
        var pending: [Int32] = []
    }

    package static func prepare() {
        signal(SIGPIPE, SIG_IGN)
        var set = handledSet()
        pthread_sigmask(SIG_BLOCK, &set, nil)
        Thread.detachNewThread {
            while true { deliver(receive()) }
        }
    }

    /// From now on every handled signal is queued for `wait()` instead of ending the process.
    package static func takeOver() {
        inbox.withLock { $0.takenOver = true }
    }

    /// Blocks the calling thread until a handled signal arrives; call `takeOver()` first.
    package static func wait() -> Int32 {
        precondition(inbox.withLock { $0.takenOver }, "ProcessSignals.wait() without takeOver()")
        while true {
            arrived.wait()
            if let signal = inbox.withLock({ $0.pending.isEmpty ? nil : $0.pending.removeFirst() }) { return signal }
        }
    }

    /// Like `wait()`, but gives up after `seconds`: nil when no signal came (the shutdown
    /// delay runs out unless a second signal cuts it short).
    package static func wait(seconds: Double) -> Int32? {
        precondition(inbox.withLock { $0.takenOver }, "ProcessSignals.wait(seconds:) without takeOver()")
        let deadline = DispatchTime.now() + .nanoseconds(Int(max(0, min(seconds, 86_400)) * 1e9))
        while true {
            if arrived.wait(timeout: deadline) == .timedOut { return nil }
            if let signal = inbox.withLock({ $0.pending.isEmpty ? nil : $0.pending.removeFirst() }) { return signal }
        }
    }

    private static func deliver(_ signal: Int32) {
        let queued = inbox.withLock { inbox -> Bool in
            guard inbox.takenOver else { return false }
            inbox.pending.append(signal)
            return true
        }
        if queued {
            arrived.signal()
        } else if signal != SIGHUP {
            // `_exit`, not `exit`: the main thread may be anywhere (inside a read, holding a
            // stdio lock), and atexit handlers must not be able to hold the stop up.
            _exit(128 + signal)
        }
    }

    private static func receive() -> Int32 {
        var set = handledSet()
        var received: Int32 = 0
        while sigwait(&set, &received) != 0 {}
        return received
    }

    private static func handledSet() -> sigset_t {
        var set = sigset_t()
        sigemptyset(&set)
        for signal in handled { sigaddset(&set, signal) }
        return set
    }
}
