/// A configured upstream region as the rules see it: its name, normal weight, and optionally
/// the request rate it can take (its own rate allowance) when others fail over to it.
public struct RuleRegion: Sendable, Equatable {
    public var name: String
    /// Relative share of normal traffic; 0 is a standby.
    public var weight: Int
    /// Requests per second the region can take; nil when unlimited or unknown.
    public var capacity: Double?

    public init(name: String, weight: Int, capacity: Double? = nil) {
        self.name = name
        self.weight = weight
        self.capacity = capacity
    }
}
