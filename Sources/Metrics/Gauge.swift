import Synchronization

/// A value that goes up and down (one series of a `GaugeFamily`). Lock-free.
public final class Gauge: Sendable {
    private let bits = Atomic<UInt64>(0)

    init() {}

    public func set(_ value: Double) {
        bits.store(value.bitPattern, ordering: .relaxed)
    }

    public var current: Double { Double(bitPattern: bits.load(ordering: .relaxed)) }
}
