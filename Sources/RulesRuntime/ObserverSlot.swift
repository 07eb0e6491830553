import Synchronization

/// Where the rule controller finds an observer of its changes: installed after both exist
/// (the shared runtime needs the controller), empty when Ballast runs alone.
package final class ObserverSlot<Observer: Sendable>: Sendable {
    private let slot = Mutex<Observer?>(nil)

    package func install(_ observer: Observer?) {
        slot.withLock { $0 = observer }
    }

    var current: Observer? { slot.withLock { $0 } }
}
