/// What one attempt cost, kept beside the attempt's other facts.
public struct AttemptUsage: Sendable, Equatable {
    /// The attempt's usage as the upstream reported it (`state` says how far it is known).
    public var usage: MessageUsage
    /// What the usage costs under the price table; nil when the model has no price or the
    /// usage is unknown.
    public var costUSD: Double?
    /// Set when the attempt's tokens bought nothing the client received.
    public var overhead: OverheadReason?

    public init(usage: MessageUsage = .unknown, costUSD: Double? = nil, overhead: OverheadReason? = nil) {
        self.usage = usage
        self.costUSD = costUSD
        self.overhead = overhead
    }
}
