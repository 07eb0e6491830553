import Synchronization

/// A monotonically increasing count (one series of a `CounterFamily`). Lock-free.
public final class Counter: Sendable {
    private let value = Atomic<Int>(0)

    init() {}

    public func increment(by amount: Int = 1) {
        value.wrappingAdd(amount, ordering: .relaxed)
    }

    public var current: Int { value.load(ordering: .relaxed) }
}
