/// `min`, `max`, `sum`, `avg` over the elements of a grouped value, into coarser groups:
/// `min by (model) (error_ratio[1m] by (region, model))` is a model's error ratio in its
/// best region, so `> 0.5` means "fails in every region". Elements without data are left out.
public enum AggregateOperator: String, Sendable, CaseIterable {
    case min, max, sum, avg

    func apply(_ values: [Double]) -> Double {
        let known = values.filter { !$0.isNaN }
        guard !known.isEmpty else { return .nan }
        switch self {
        case .min: return known.min() ?? .nan
        case .max: return known.max() ?? .nan
        case .sum: return known.reduce(0, +)
        case .avg: return known.reduce(0, +) / Double(known.count)
        }
    }
}
