/// A counter with labels. Names end in `_total`, as Prometheus practice asks.
public final class CounterFamily: MetricFamily {
    public let name: String
    public let help: String
    public var type: MetricType { .counter }
    private let table: SeriesTable<Counter>
    private let collect: (@Sendable () -> [([String], Int)])?

    init(
        name: String, help: String, labelNames: [String], maxValuesPerLabel: Int,
        collect: (@Sendable () -> [([String], Int)])? = nil
    ) {
        self.collect = collect
        precondition(name.hasSuffix("_total"), "counter names end in _total")
        self.name = name
        self.help = help
        table = SeriesTable(labelNames: labelNames, maxValuesPerLabel: maxValuesPerLabel) { Counter() }
    }

    /// The series for these label values (look it up once and keep it on hot paths).
    public func labels(_ values: String...) -> Counter { table.series(values) }
    public func labels(_ values: [String]) -> Counter { table.series(values) }

    public func renderSamples(into output: inout String, format: MetricsFormat) {
        if let collect {
            // Counts kept elsewhere (monotonic by construction there), read at scrape time.
            for (values, total) in collect() {
                let counter = table.series(values)
                counter.increment(by: total - counter.current)
            }
        }
        for (labels, counter) in table.all {
            output += name
            if !labels.isEmpty { output += "{" + labels + "}" }
            output += " " + String(counter.current) + "\n"
        }
    }
}
