/// A configured upstream region as the rules see it: its name, normal weight, and optionally
/// the request rate it can take (its own rate allowance) when others fail over to it.
public struct RuleRegion: Sendable, Equatable {
    public var name: String
    /// Relative share of normal traffic; 0 is a standby.
    public var weight: Int
    /// Requests per second the region can take; nil when unlimited or unknown.
    public var capacity: Double?
    /// The rate allowance it draws on (`upstream.regions[].limit_group`): regions of one group
    /// share it, so bringing one back adds no allowance to another of its group. Nil: its own.
    public var limitGroup: String?

    public init(name: String, weight: Int, capacity: Double? = nil, limitGroup: String? = nil) {
        self.name = name
        self.weight = weight
        self.capacity = capacity
        self.limitGroup = limitGroup
    }

    /// The group's name, or the region's own when it has none.
    public var allowance: String { limitGroup ?? "region:" + name }
}
