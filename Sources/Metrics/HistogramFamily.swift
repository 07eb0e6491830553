/// A histogram with labels over fixed bucket bounds.
public final class HistogramFamily: MetricFamily {
    public let name: String
    public let help: String
    public var type: MetricType { .histogram }
    public let bounds: [Double]
    private let boundTexts: [String]
    private let table: SeriesTable<Histogram>

    init(name: String, help: String, labelNames: [String], bounds: [Double], maxValuesPerLabel: Int) {
        self.name = name
        self.help = help
        self.bounds = bounds
        boundTexts = bounds.map { SampleValue.format($0) }
        table = SeriesTable(labelNames: labelNames, maxValuesPerLabel: maxValuesPerLabel) { Histogram(bounds: bounds) }
    }

    public func labels(_ values: String...) -> Histogram { table.series(values) }
    public func labels(_ values: [String]) -> Histogram { table.series(values) }

    public func renderSamples(into output: inout String, format: MetricsFormat) {
        let bucketName = name + "_bucket{"
        for (labels, histogram) in table.all {
            let counts = histogram.bucketCounts
            let open = labels.isEmpty ? bucketName + "le=\"" : bucketName + labels + ",le=\""
            var cumulative = 0
            for (index, count) in counts.enumerated() {
                cumulative += count
                output += open
                output += index < boundTexts.count ? boundTexts[index] : "+Inf"
                output += "\"} "
                output += String(cumulative)
                output += "\n"
            }
            let labelText = labels.isEmpty ? "" : "{" + labels + "}"
            output += name + "_sum" + labelText + " " + SampleValue.format(histogram.sum) + "\n"
            output += name + "_count" + labelText + " " + String(cumulative) + "\n"
        }
    }
}
