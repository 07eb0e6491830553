/// A share of requests that run `factor` times slower (first byte and deltas): the tail
/// that hedging and latency-based routing are meant to cut.
public struct SlowTailModel: Sendable, Equatable {
    public var ratio: Double
    public var factor: Double

    public init(ratio: Double = 0, factor: Double = 1) {
        self.ratio = ratio
        self.factor = factor
    }
}
