/// Which regions are short of serving capacity now, as the gateway's rate pacer sees it: at
/// their rate allowance, or queueing requests. An input of each evaluation step, beside the
/// telemetry windows and the time, so the engine stays a pure function of its inputs.
///
/// It matters to failback only: a region whose circuit closed (its probes passed) normally
/// waits a hold-down and then comes back in steps, which is right while the other regions
/// have room; while the regions still serving are short, every second of hold-down is a
/// second of requests queueing or refused there, so the region gets its whole weight back at
/// once (`RegionalSwitcher.advance`).
public struct CapacityShortage: Sendable, Equatable {
    /// The regions short of capacity.
    public var regions: Set<String>

    public init(regions: Set<String> = []) {
        self.regions = regions
    }

    /// No region is short: failback keeps its hold-down and steps.
    public static let none = CapacityShortage()

    /// Every one of `regions` is short (a shortage the pacer cannot place, such as one shared
    /// limit across regions).
    public static func everywhere(_ regions: [String]) -> CapacityShortage {
        CapacityShortage(regions: Set(regions))
    }

    public func isShort(_ region: String) -> Bool { regions.contains(region) }

    public var isEmpty: Bool { regions.isEmpty }
}
