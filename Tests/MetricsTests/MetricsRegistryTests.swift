import Metrics
import Testing

@Suite struct MetricsRegistryTests {
    @Test func rendersCountersGaugesAndHistogramsInTextFormat() {
        let registry = MetricsRegistry()
        let requests = registry.counter("ballast_requests_total", help: "Requests.", labels: ["region", "class"])
        let weight = registry.gauge("ballast_route_weight", help: "Weight.", labels: ["region"])
        let latency = registry.histogram(
            "ballast_request_duration_seconds", help: "Latency.", labels: ["region"],
            bounds: [0.1, 1])
        requests.labels("primary", "success").increment(by: 3)
        requests.labels("primary", "upstream").increment()
        weight.labels("primary").set(100)
        let series = latency.labels("primary")
        series.observe(0.05)
        series.observe(0.5)
        series.observe(5)
        let text = registry.render()
        #expect(
            text == """
                # HELP ballast_requests_total Requests.
                # TYPE ballast_requests_total counter
                ballast_requests_total{region="primary",class="success"} 3
                ballast_requests_total{region="primary",class="upstream"} 1
                # HELP ballast_route_weight Weight.
                # TYPE ballast_route_weight gauge
                ballast_route_weight{region="primary"} 100
                # HELP ballast_request_duration_seconds Latency.
                # TYPE ballast_request_duration_seconds histogram
                ballast_request_duration_seconds_bucket{region="primary",le="0.1"} 1
                ballast_request_duration_seconds_bucket{region="primary",le="1"} 2
                ballast_request_duration_seconds_bucket{region="primary",le="+Inf"} 3
                ballast_request_duration_seconds_sum{region="primary"} 5.55
                ballast_request_duration_seconds_count{region="primary"} 3

                """)
    }

    @Test func openMetricsNamesCounterFamiliesWithoutTotalAndEnds() {
        let registry = MetricsRegistry()
        registry.counter("ballast_hedges_total", help: "Hedges.").labels().increment()
        let text = registry.render(.openMetrics)
        #expect(text.contains("# TYPE ballast_hedges counter\nballast_hedges_total 1\n"))
        #expect(text.hasSuffix("# EOF\n"))
        #expect(MetricsFormat.negotiate(accept: "application/openmetrics-text;version=1.0.0") == .openMetrics)
        #expect(MetricsFormat.negotiate(accept: "text/plain") == .prometheusText)
        #expect(MetricsFormat.negotiate(accept: nil) == .prometheusText)
    }

    @Test func labelValuesAreBoundedPerLabel() {
        let registry = MetricsRegistry()
        let family = registry.counter("ballast_x_total", help: "X.", labels: ["model"], maxValuesPerLabel: 3)
        for index in 0..<100 { family.labels("model-\(index)").increment() }
        let lines = registry.render().split(separator: "\n").filter { $0.hasPrefix("ballast_x_total{") }
        #expect(lines.count == 4)
        #expect(lines.contains(#"ballast_x_total{model="other"} 97"#))
    }

    @Test func collectedGaugesReadStateAtScrapeTime() {
        let registry = MetricsRegistry()
        _ = registry.gauge("ballast_circuit_state", help: "State.", labels: ["region", "state"]) {
            [(["primary", "open"], 1), (["primary", "closed"], 0)]
        }
        #expect(registry.render().contains(#"ballast_circuit_state{region="primary",state="open"} 1"#))
    }

    @Test func labelValuesAreEscaped() {
        let registry = MetricsRegistry()
        registry.counter("ballast_y_total", help: "Y.", labels: ["model"]).labels("a\"b\\c\nd").increment()
        #expect(registry.render().contains(#"ballast_y_total{model="a\"b\\c\nd"} 1"#))
    }
}
