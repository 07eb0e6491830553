/// A counter family whose values are fractional (`ballast_cost_usd_total`), with the same
/// label bounds as `CounterFamily`.
public final class DoubleCounterFamily: MetricFamily {
    public let name: String
    public let help: String
    public var type: MetricType { .counter }
    private let table: SeriesTable<DoubleCounter>

    init(name: String, help: String, labelNames: [String], maxValuesPerLabel: Int) {
        precondition(name.hasSuffix("_total"), "counter names end in _total")
        self.name = name
        self.help = help
        table = SeriesTable(labelNames: labelNames, maxValuesPerLabel: maxValuesPerLabel) { DoubleCounter() }
    }

    public func labels(_ values: String...) -> DoubleCounter { table.series(values) }
    public func labels(_ values: [String]) -> DoubleCounter { table.series(values) }

    public func renderSamples(into output: inout String, format: MetricsFormat) {
        for (labels, counter) in table.all {
            output += name
            if !labels.isEmpty { output += "{" + labels + "}" }
            output += " " + SampleValue.format(counter.current) + "\n"
        }
    }
}

extension MetricsRegistry {
    /// A counter family of fractional amounts.
    public func doubleCounter(
        _ name: String, help: String, labels: [String] = [], maxValuesPerLabel: Int = 64
    )
        -> DoubleCounterFamily
    {
        register(DoubleCounterFamily(name: name, help: help, labelNames: labels, maxValuesPerLabel: maxValuesPerLabel))
    }
}
