import Foundation

/// What one run of `bench/sdk_load.py` printed: every request's outcome, the retry-after
/// probes, and the time the run took.
struct SDKLoadResult: Sendable {
    var requests: [SDKRequestOutcome]
    var probes: [SDKRequestOutcome]
    /// Seconds from the first scheduled arrival to the end of the run.
    var elapsed: Double
    var sdkVersion: String

    init(data: Data) throws {
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
              let requests = root["requests"] as? [[String: Any]] else {
            throw BenchError.processFailed("bench/sdk_load.py printed no `requests` list")
        }
        self.requests = requests.map(SDKRequestOutcome.init(json:))
        probes = (root["probes"] as? [[String: Any]] ?? []).map(SDKRequestOutcome.init(json:))
        let summary = root["summary"] as? [String: Any]
        elapsed = (summary?["elapsed"] as? Double) ?? 0
        sdkVersion = root["anthropic_version"] as? String ?? "?"
    }
}
