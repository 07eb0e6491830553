import SharedState
import Redis
import Synchronization

/// Outcomes collected from completions on other threads.
final class Outcomes: Sendable {
    private let items = Mutex<[SharedCacheOutcome]>([])

    func add(_ outcome: SharedCacheOutcome) { items.withLock { $0.append(outcome) } }

    var all: [SharedCacheOutcome] { items.withLock { $0 } }
}
