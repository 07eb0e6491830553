import BallastCore
import Synchronization

/// A one-shot timer that runs on the upstream client's loop thread, so retry back-offs,
/// hedge delays and paced sends share the thread (and the ordering) of the transfers
/// they act on. Cancel from any thread; a cancelled timer never fires.
public final class LoopTimer: Sendable, Comparable {
    let due: MonotonicInstant
    let sequence: UInt64
    let action: @Sendable () -> Void
    private let cancelled = Atomic<Bool>(false)

    init(due: MonotonicInstant, sequence: UInt64, action: @escaping @Sendable () -> Void) {
        self.due = due
        self.sequence = sequence
        self.action = action
    }

    public func cancel() {
        cancelled.store(true, ordering: .relaxed)
    }

    public var isCancelled: Bool { cancelled.load(ordering: .relaxed) }

    public static func < (lhs: LoopTimer, rhs: LoopTimer) -> Bool {
        (lhs.due, lhs.sequence) < (rhs.due, rhs.sequence)
    }

    public static func == (lhs: LoopTimer, rhs: LoopTimer) -> Bool { lhs === rhs }
}
