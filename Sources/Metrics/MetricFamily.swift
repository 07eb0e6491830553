/// Something the registry can render: a named family of samples with HELP and TYPE.
public protocol MetricFamily: AnyObject, Sendable {
    var name: String { get }
    var help: String { get }
    var type: MetricType { get }
    /// Appends this family's sample lines (without HELP/TYPE) in `format`.
    func renderSamples(into output: inout String, format: MetricsFormat)
}
