import Rules
import Synchronization

/// Where the rule controller finds its overrides observer: installed after both exist (the
/// shared runtime needs the controller), empty when Ballast runs alone.
final class OverridesObserverSlot: Sendable {
    private let slot = Mutex<(any OverridesObserver)?>(nil)

    func install(_ observer: (any OverridesObserver)?) {
        slot.withLock { $0 = observer }
    }

    func notify(from old: OperatorOverrides, to new: OperatorOverrides) {
        guard old != new, let observer = slot.withLock({ $0 }) else { return }
        observer.overridesChanged(from: old, to: new)
    }
}
