/// Turns configured weights and shifted shares into route weights.
///
/// The weight shifted away from a region goes to the regions with nothing shifted, in
/// proportion to their configured weights; when every weighted region is shifted, it goes to
/// the standbys (weight 0) in proportion to their capacities (equally when unknown). A
/// receiver never gets more than its capacity allows at the current request rate; what no
/// receiver can take stays with the regions it came from (the gateway then fails those
/// requests fast rather than overloading a standby). The result is whole numbers that add up
/// to the configured total.
public enum WeightDistribution {
    public static func compute(regions: [RuleRegion], removed: [String: Double], totalRate: Double?) -> [String: Int] {
        let total = regions.reduce(0) { $0 + $1.weight }
        guard total > 0 else { return Dictionary(uniqueKeysWithValues: regions.map { ($0.name, $0.weight) }) }
        var weights = regions.map { Double($0.weight) * (1 - min(max(removed[$0.name] ?? 0, 0), 1)) }
        let freed = regions.indices.map { Double(regions[$0].weight) - weights[$0] }
        var toMove = freed.reduce(0, +)
        if toMove > 1e-9 {
            var receivers = regions.indices.filter { (removed[regions[$0].name] ?? 0) <= 0 && regions[$0].weight > 0 }
            var shares = receivers.map { Double(regions[$0].weight) }
            if receivers.isEmpty {
                receivers = regions.indices.filter { (removed[regions[$0].name] ?? 0) <= 0 && regions[$0].weight == 0 }
                let capacities = receivers.map { regions[$0].capacity }
                shares = capacities.allSatisfy { $0 != nil } ? capacities.map { $0 ?? 1 } : receivers.map { _ in 1 }
            }
            // Water-filling: share out, cap at capacity, share the rest among the uncapped.
            var room = receivers.map { index -> Double in
                guard let capacity = regions[index].capacity, let rate = totalRate, rate > 0 else { return .infinity }
                return max(0, capacity * Double(total) / rate - weights[index])
            }
            var active = Array(receivers.indices)
            while toMove > 1e-9, !active.isEmpty {
                let shareSum = active.reduce(0) { $0 + shares[$1] }
                guard shareSum > 0 else { break }
                var capped: [Int] = []
                var given = 0.0
                for slot in active {
                    let offer = toMove * shares[slot] / shareSum
                    let take = min(offer, room[slot])
                    weights[receivers[slot]] += take
                    room[slot] -= take
                    given += take
                    if room[slot] <= 1e-9 { capped.append(slot) }
                }
                toMove -= given
                if capped.isEmpty { break }
                active.removeAll { capped.contains($0) }
            }
            if toMove > 1e-9 {
                let freedSum = freed.reduce(0, +)
                for index in regions.indices where freed[index] > 0 { weights[index] += toMove * freed[index] / freedSum }
            }
        }
        return Dictionary(uniqueKeysWithValues: zip(regions.map(\.name), round(weights, to: total)))
    }

    /// Largest-remainder rounding: whole numbers that add up to `total` exactly.
    static func round(_ values: [Double], to total: Int) -> [Int] {
        var result = values.map { Int($0.rounded(.down)) }
        var missing = total - result.reduce(0, +)
        let order = values.indices.sorted { (values[$0] - Double(result[$0]), -$0) > (values[$1] - Double(result[$1]), -$1) }
        var position = 0
        while missing > 0, !order.isEmpty {
            result[order[position % order.count]] += 1
            missing -= 1
            position += 1
        }
        return result
    }
}
