/// A gauge with labels: either set by the code that knows the value, or collected from a
/// closure at scrape time (for state owned elsewhere: circuits, weights, queue depths).
public final class GaugeFamily: MetricFamily {
    public let name: String
    public let help: String
    public var type: MetricType { .gauge }
    private let table: SeriesTable<Gauge>
    private let collect: (@Sendable () -> [([String], Double)])?

    init(
        name: String, help: String, labelNames: [String], maxValuesPerLabel: Int,
        collect: (@Sendable () -> [([String], Double)])?
    ) {
        self.name = name
        self.help = help
        self.collect = collect
        table = SeriesTable(labelNames: labelNames, maxValuesPerLabel: maxValuesPerLabel) { Gauge() }
    }

    public func labels(_ values: String...) -> Gauge { table.series(values) }
    public func labels(_ values: [String]) -> Gauge { table.series(values) }

    public func renderSamples(into output: inout String, format: MetricsFormat) {
        if let collect {
            for (values, value) in collect() {
                table.series(values).set(value)
            }
        }
        for (labels, gauge) in table.all {
            output += name
            if !labels.isEmpty { output += "{" + labels + "}" }
            output += " " + SampleValue.format(gauge.current) + "\n"
        }
    }
}
