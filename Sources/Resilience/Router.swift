public import BallastCore
import Synchronization

/// Chooses the region for each attempt.
///
/// Weighted regions share traffic by smooth weighted round-robin (nginx's algorithm: an
/// even, deterministic interleaving, no random clumps). Standby regions (weight 0) are
/// chosen only when every weighted region is excluded for this request, in config order.
/// Drained regions (an operator's drain) are never chosen, not even as a standby.
public final class Router: Sendable {
    /// The regions as configured (their `weight` is the configured one).
    public let regions: [Region]
    private let current: Mutex<[Int]>
    /// The weights in force: the configured ones, or what the rules (failover, drains) set.
    private let weights: Mutex<[Int]>
    private let drained: Mutex<Set<String>>

    public init(regions: [Region]) {
        self.regions = regions
        current = Mutex(Array(repeating: 0, count: regions.count))
        weights = Mutex(regions.map(\.weight))
        drained = Mutex([])
    }

    /// Replaces the set of drained regions.
    public func setDrained(_ names: Set<String>) {
        drained.withLock { $0 = names }
    }

    public func isDrained(_ name: String) -> Bool {
        drained.withLock { $0.contains(name) }
    }

    /// Replaces the weights in force (regions not named keep theirs).
    public func setWeights(_ map: [String: Int]) {
        weights.withLock { weights in
            for (index, region) in regions.enumerated() {
                if let weight = map[region.name] { weights[index] = max(0, weight) }
            }
        }
    }

    /// The weights in force, by region name.
    public var currentWeights: [String: Int] {
        let now = weights.withLock { $0 }
        return Dictionary(uniqueKeysWithValues: zip(regions.map(\.name), now))
    }

    /// The region for the next attempt, never one in `excluded`; nil when none is left.
    /// With `peek`, answers without advancing the round-robin.
    public func pick(excluding excluded: Set<String> = [], peek: Bool = false) -> Region? {
        let weightsNow = weights.withLock { $0 }
        let drainedNow = drained.withLock { $0 }
        let excluded = drainedNow.isEmpty ? excluded : excluded.union(drainedNow)
        if peek {
            return regions.first { !excluded.contains($0.name) }
        }
        let index = current.withLock { current -> Int? in
            var total = 0
            var best: Int?
            for (i, region) in regions.enumerated() where weightsNow[i] > 0 && !excluded.contains(region.name) {
                current[i] += weightsNow[i]
                total += weightsNow[i]
                if best == nil || current[i] > current[best!] { best = i }
            }
            if let best {
                current[best] -= total
                return best
            }
            // No weighted region left: standbys (weight 0 now) in config order.
            return regions.indices.first { weightsNow[$0] == 0 && !excluded.contains(regions[$0].name) }
        }
        return index.map { regions[$0] }
    }

    /// True when `name` takes traffic only when every weighted region is excluded: a standby,
    /// or a region failed away from (its weight in force is 0).
    public func isStandby(_ name: String) -> Bool {
        guard let index = regions.firstIndex(where: { $0.name == name }) else { return false }
        return weights.withLock { $0[index] == 0 }
    }

    public func region(named name: String) -> Region? {
        regions.first { $0.name == name }
    }
}
