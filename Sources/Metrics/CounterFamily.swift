/// A counter with labels. Names end in `_total`, as Prometheus practice asks.
public final class CounterFamily: MetricFamily {
    public let name: String
    public let help: String
    public var type: MetricType { .counter }
    private let table: SeriesTable<Counter>

    init(name: String, help: String, labelNames: [String], maxValuesPerLabel: Int) {
        precondition(name.hasSuffix("_total"), "counter names end in _total")
        self.name = name
        self.help = help
        table = SeriesTable(labelNames: labelNames, maxValuesPerLabel: maxValuesPerLabel) { Counter() }
    }

    /// The series for these label values (look it up once and keep it on hot paths).
    public func labels(_ values: String...) -> Counter { table.series(values) }
    public func labels(_ values: [String]) -> Counter { table.series(values) }

    public func renderSamples(into output: inout String, format: MetricsFormat) {
        for (labels, counter) in table.all {
            output += "\(name)\(labels.render(names: table.labelNames)) \(counter.current)\n"
        }
    }
}
