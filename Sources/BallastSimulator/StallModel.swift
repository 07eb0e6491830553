/// A share of requests that hang for `duration` seconds before their first byte, as a
/// wedged upstream does; what first-byte timeouts and hedges exist for.
public struct StallModel: Sendable, Equatable {
    public var ratio: Double
    /// Also the stall forced by `x-sim-fault: stall`.
    public var duration: Double

    public init(ratio: Double = 0, duration: Double = 3) {
        self.ratio = ratio
        self.duration = duration
    }
}
