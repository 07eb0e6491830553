import Synchronization

/// One waiter's turn between two asks of the shared cache: it asks again when the answer's
/// announcement arrives or the fallback poll's time comes, whichever is first, and only once.
/// It is registered before the ask is sent, so an announcement arriving while the ask is on
/// its way is not lost: the turn resumes as soon as the ask comes back "wait".
final class CacheWaitTurn: Sendable {
    private struct State {
        var asking = true
        var woken = false
        var over = false
    }

    private let state = Mutex(State())
    private let resume: @Sendable () -> Void

    init(resume: @escaping @Sendable () -> Void) {
        self.resume = resume
    }

    /// The announcement came, or the poll's time.
    func wake() {
        let fire = state.withLock { s -> Bool in
            s.woken = true
            guard !s.asking, !s.over else { return false }
            s.over = true
            return true
        }
        if fire { resume() }
    }

    /// The ask came back "wait": resume at once if woken meanwhile.
    func waiting() {
        let fire = state.withLock { s -> Bool in
            s.asking = false
            guard s.woken, !s.over else { return false }
            s.over = true
            return true
        }
        if fire { resume() }
    }

    /// The ask settled it (hit, lead, alone): nothing more to do.
    func end() {
        state.withLock { $0.over = true }
    }
}
