/// The exposition formats `/metrics` speaks.
public enum MetricsFormat: Sendable {
    /// Prometheus text format 0.0.4.
    case prometheusText
    /// OpenMetrics 1.0 text, for scrapers that ask for it.
    case openMetrics

    public var contentType: String {
        switch self {
        case .prometheusText: "text/plain; version=0.0.4; charset=utf-8"
        case .openMetrics: "application/openmetrics-text; version=1.0.0; charset=utf-8"
        }
    }

    /// Chooses the format from a scraper's `Accept` header.
    public static func negotiate(accept: String?) -> MetricsFormat {
        guard let accept, accept.contains("application/openmetrics-text") else { return .prometheusText }
        return .openMetrics
    }
}
