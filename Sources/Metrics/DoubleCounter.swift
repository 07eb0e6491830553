import Synchronization

/// A monotonically increasing amount that is not a whole number (dollars spent): one series
/// of a `DoubleCounterFamily`. A lock rather than an atomic, since Swift has no atomic
/// double add; it is taken once per finished request, never per byte.
public final class DoubleCounter: Sendable {
    private let value = Mutex<Double>(0)

    init() {}

    /// Adds `amount`; negative, NaN and infinite amounts are ignored (a counter never goes down).
    public func increment(by amount: Double) {
        guard amount > 0, amount.isFinite else { return }
        value.withLock { $0 += amount }
    }

    public var current: Double { value.withLock { $0 } }
}
