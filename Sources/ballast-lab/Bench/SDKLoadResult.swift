import Foundation

/// What one run of `bench/sdk_load.py` printed: every request's outcome, the retry-after
/// probes, and the SDK's version (figures are only comparable for the same one).
struct SDKLoadResult: Sendable {
    var requests: [SDKRequestOutcome]
    var probes: [SDKRequestOutcome]
    var sdkVersion: String

    init(data: Data) throws {
        guard let root = try JSONSerialization.jsonObject(with: data) as? [String: Any],
            let requests = root["requests"] as? [[String: Any]]
        else {
            throw BenchError.processFailed("bench/sdk_load.py printed no `requests` list")
        }
        self.requests = requests.map(SDKRequestOutcome.init(json:))
        probes = (root["probes"] as? [[String: Any]] ?? []).map(SDKRequestOutcome.init(json:))
        sdkVersion = root["anthropic_version"] as? String ?? "?"
    }
}
