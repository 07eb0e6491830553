import Synchronization

/// The series of one family by label values, with a cap on how many distinct values each
/// label may take: past it, new values are folded into `other`, so a client sending
/// arbitrary model names cannot grow memory or the scrape without bound.
final class SeriesTable<Series: AnyObject & Sendable>: Sendable {
    private struct State {
        var series: [LabelSet: Series] = [:]
        var order: [LabelSet] = []
        var distinct: [Set<String>]
    }

    let labelNames: [String]
    let maxValuesPerLabel: Int
    private let make: @Sendable () -> Series
    private let state: Mutex<State>

    init(labelNames: [String], maxValuesPerLabel: Int, make: @escaping @Sendable () -> Series) {
        self.labelNames = labelNames
        self.maxValuesPerLabel = maxValuesPerLabel
        self.make = make
        state = Mutex(State(distinct: labelNames.map { _ in [] }))
    }

    func series(_ values: [String]) -> Series {
        precondition(values.count == labelNames.count, "label values do not match the family's label names")
        return state.withLock { s in
            var bounded = values
            for index in bounded.indices where !s.distinct[index].contains(bounded[index]) {
                if s.distinct[index].count >= maxValuesPerLabel {
                    bounded[index] = "other"
                }
                s.distinct[index].insert(bounded[index])
            }
            let key = LabelSet(values: bounded)
            if let existing = s.series[key] { return existing }
            let created = make()
            s.series[key] = created
            s.order.append(key)
            return created
        }
    }

    /// Every series, in creation order.
    var all: [(LabelSet, Series)] {
        state.withLock { s in s.order.map { ($0, s.series[$0]!) } }
    }
}
