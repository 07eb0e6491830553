import Synchronization

/// The series of one family by label values, with a cap on how many distinct values each
/// label may take: past it, new values are folded into `other`, so a client sending
/// arbitrary model names cannot grow memory or the scrape without bound.
final class SeriesTable<Series: AnyObject & Sendable>: Sendable {
    private struct State {
        var series: [LabelSet: Series] = [:]
        var order: [LabelSet] = []
        /// `a="x",b="y"` per series, rendered once: label values never change, and
        /// re-escaping them on every scrape was most of a large scrape's cost.
        var rendered: [String] = []
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
            s.rendered.append(key.renderInner(names: labelNames))
            return created
        }
    }

    /// Every series with its rendered labels (`a="x",b="y"`, empty for none), in creation order.
    var all: [(labels: String, series: Series)] {
        state.withLock { s in s.order.indices.map { (s.rendered[$0], s.series[s.order[$0]]!) } }
    }
}
