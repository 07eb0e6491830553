import Synchronization

/// The families Ballast exports, rendered in registration order for `/metrics`.
///
/// Own code rather than a general metrics library: the request path touches a series with
/// one atomic add, labels are bounded per family (`maxValuesPerLabel`), and both Prometheus
/// text and OpenMetrics are written from the same data.
public final class MetricsRegistry: Sendable {
    private let families = Mutex<[any MetricFamily]>([])
    private let names = Mutex<Set<String>>([])

    public init() {}

    /// A counter family; with `collect`, its values are read from elsewhere at scrape time.
    public func counter(
        _ name: String, help: String, labels: [String] = [], maxValuesPerLabel: Int = 64,
        collect: (@Sendable () -> [([String], Int)])? = nil
    ) -> CounterFamily {
        register(
            CounterFamily(
                name: name, help: help, labelNames: labels, maxValuesPerLabel: maxValuesPerLabel,
                collect: collect))
    }

    public func gauge(
        _ name: String, help: String, labels: [String] = [], maxValuesPerLabel: Int = 64,
        collect: (@Sendable () -> [([String], Double)])? = nil
    ) -> GaugeFamily {
        register(
            GaugeFamily(
                name: name, help: help, labelNames: labels, maxValuesPerLabel: maxValuesPerLabel,
                collect: collect))
    }

    public func histogram(
        _ name: String, help: String, labels: [String] = [], bounds: [Double],
        maxValuesPerLabel: Int = 64
    ) -> HistogramFamily {
        register(
            HistogramFamily(
                name: name, help: help, labelNames: labels, bounds: bounds,
                maxValuesPerLabel: maxValuesPerLabel))
    }

    func register<F: MetricFamily>(_ family: F) -> F {
        let fresh = names.withLock { $0.insert(family.name).inserted }
        precondition(fresh, "metric \(family.name) registered twice")
        families.withLock { $0.append(family) }
        return family
    }

    /// The whole exposition in `format`.
    public func render(_ format: MetricsFormat = .prometheusText) -> String {
        var output = ""
        output.reserveCapacity(64 * 1024)
        for family in families.withLock({ $0 }) {
            let exposedName =
                format == .openMetrics && family.type == .counter
                ? String(family.name.dropLast("_total".count)) : family.name
            output += "# HELP \(exposedName) \(family.help)\n# TYPE \(exposedName) \(family.type.rawValue)\n"
            family.renderSamples(into: &output, format: format)
        }
        if format == .openMetrics { output += "# EOF\n" }
        return output
    }
}
