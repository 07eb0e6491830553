/// A rule test's `capacity_short`: when the regions serving traffic are short of capacity,
/// second by second, in the series notation (`0x30 1x20`: room for 30 s, then short for 20 s;
/// any value above 0 is short, `_` or past the end is not). Either one series for every region
/// (as a shared rate limit would say) or one per region.
public struct RuleTestCapacity: Sendable {
    /// For every region; nil when given per region.
    public var everywhere: [Double?]?
    public var regions: [String: [Double?]]

    public init(everywhere: [Double?]? = nil, regions: [String: [Double?]] = [:]) {
        self.everywhere = everywhere
        self.regions = regions
    }

    /// The shortage the engine is told at test time `time`: the value of the last whole second
    /// (sample `s` is the second ending at `s`, as the windows read it).
    public func shortage(at time: Double, regions names: [String]) -> CapacityShortage {
        let second = Int((time + 1e-9).rounded(.down))
        func isShort(_ values: [Double?]?) -> Bool {
            guard let values, second >= 0, second < values.count, let value = values[second] else { return false }
            return value > 0
        }
        if isShort(everywhere) { return .everywhere(names) }
        return CapacityShortage(regions: Set(regions.filter { isShort($0.value) }.keys))
    }
}
