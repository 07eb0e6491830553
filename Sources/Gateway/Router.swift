import BallastCore
import Synchronization

/// Chooses the region for each attempt.
///
/// Weighted regions share traffic by smooth weighted round-robin (nginx's algorithm: an
/// even, deterministic interleaving, no random clumps). Standby regions (weight 0) are
/// chosen only when every weighted region is excluded for this request, in config order.
/// Later capabilities (circuits, drains, failover weights) plug in here.
public final class Router: Sendable {
    public let regions: [Region]
    private let current: Mutex<[Int]>

    public init(regions: [Region]) {
        self.regions = regions
        current = Mutex(Array(repeating: 0, count: regions.count))
    }

    /// The region for the next attempt, never one in `excluded`; nil when none is left.
    /// With `peek`, answers without advancing the round-robin.
    public func pick(excluding excluded: Set<String> = [], peek: Bool = false) -> Region? {
        if peek {
            return regions.first { !excluded.contains($0.name) && ($0.weight > 0 || $0.isStandby) }
        }
        let index = current.withLock { current -> Int? in
            var total = 0
            var best: Int?
            for (i, region) in regions.enumerated() where region.weight > 0 && !excluded.contains(region.name) {
                current[i] += region.weight
                total += region.weight
                if best == nil || current[i] > current[best!] { best = i }
            }
            if let best {
                current[best] -= total
                return best
            }
            return regions.firstIndex { $0.isStandby && !excluded.contains($0.name) }
        }
        return index.map { regions[$0] }
    }

    public func region(named name: String) -> Region? {
        regions.first { $0.name == name }
    }
}
