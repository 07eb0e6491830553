import Rules

/// Telemetry with a few requests in every window, so that a fuzzed expression is evaluated
/// through its ratios and quantiles (an empty window would stop most of them at "no data").
struct SampleWindowSource: WindowSource {
    func window(_ query: WindowQuery, wallTime: Double) -> WindowResult {
        var result = WindowResult()
        for index in result.outcomes.indices { result.outcomes[index] = index + 1 }
        result.status429 = 1
        for index in result.latency.indices { result.latency[index] = 1 }
        result.ttfb = result.latency
        return result
    }

    func labelValues(_ label: SeriesLabel) -> [String] {
        label == .region ? ["us", "eu"] : ["claude-a"]
    }
}
