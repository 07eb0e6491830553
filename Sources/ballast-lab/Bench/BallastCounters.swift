import BallastTesting
import Foundation
import Upstream
import BallastCore

/// Ballast's own counts of what it did in a run, read from its `/metrics` at the end: the
/// hedges and retries it sent and the requests it refused itself. Each run has a fresh
/// `ballast serve`, so the totals are the run's.
struct BallastCounters: Sendable {
    var hedgesSent = 0.0
    var hedgesWon = 0.0
    var hedgesCancelled = 0.0
    var retries = 0.0
    var upstreamAttempts = 0.0
    /// Ballast's own 429s: pacing's queue was full or the wait too long.
    var pacingRejections = 0.0
    /// Ballast's own 529s: no concurrency slot in time.
    var concurrencyRejections = 0.0
    var budgetRefusals = 0.0
    var tokenRefreshes = 0.0
    var tokenRefreshFailures = 0.0
    /// The adaptive concurrency limit of each region at the scrape.
    var concurrencyLimits: [String: Double] = [:]
    /// The request rate pacing allowed per region and model at the scrape (absent: unlimited).
    var rateAllowances: [String: Double] = [:]

    init(metricsText text: String) {
        let samples = Self.samples(text)
        func sum(_ name: String, _ label: (String, String)? = nil) -> Double {
            samples.filter { sample in
                sample.name == name && (label.map { sample.labels[$0.0] == $0.1 } ?? true)
            }.reduce(0) { $0 + $1.value }
        }
        hedgesSent = sum("ballast_hedges_total", ("result", "sent"))
        hedgesWon = sum("ballast_hedges_total", ("result", "won"))
        hedgesCancelled = sum("ballast_hedges_total", ("result", "cancelled"))
        retries = sum("ballast_retries_total")
        upstreamAttempts = sum("ballast_upstream_attempts_total")
        pacingRejections = sum("ballast_rate_limit_rejections_total")
        concurrencyRejections = sum("ballast_concurrency_rejections_total")
        budgetRefusals = sum("ballast_retry_budget_refusals_total")
        tokenRefreshes = sum("ballast_token_refreshes_total", ("result", "success"))
        tokenRefreshFailures = sum("ballast_token_refreshes_total", ("result", "failure"))
        for sample in samples where sample.name == "ballast_concurrency_limit" {
            concurrencyLimits[sample.labels["region"] ?? "?", default: 0] += sample.value
        }
        for sample in samples where sample.name == "ballast_rate_allowance_requests_per_second" {
            rateAllowances[sample.labels["key"] ?? "?", default: 0] += sample.value
        }
    }

    /// Fetches `/metrics` from Ballast's admin listener; nil when it does not answer.
    static func scrape(admin: String, client: UpstreamClient) async -> BallastCounters? {
        let collector = ResponseCollector()
        client.submit(
            UpstreamRequest(
                method: "GET", url: "http://\(admin)/metrics", headers: ["accept": "text/plain"],
                timeouts: UpstreamTimeouts(connect: 2, firstByte: 5, idle: 5, total: 10)),
            delegate: collector)
        let result = await collector.result()
        guard result.head?.status == 200 else { return nil }
        return BallastCounters(metricsText: result.text)
    }

    /// The samples of Prometheus' text format: `name{label="value",...} number`.
    private static func samples(_ text: String) -> [(name: String, labels: [String: String], value: Double)] {
        text.split(separator: "\n").compactMap { line in
            guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "),
                let value = Double(line[line.index(after: space)...])
            else { return nil }
            let series = line[..<space]
            guard let brace = series.firstIndex(of: "{") else { return (String(series), [:], value) }
            var labels: [String: String] = [:]
            let body = series[series.index(after: brace)...].dropLast()
            for pair in body.split(separator: ",") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                guard parts.count == 2 else { continue }
                labels[String(parts[0])] = String(parts[1].trimmingCharacters(in: CharacterSet(charactersIn: "\"")))
            }
            return (String(series[..<brace]), labels, value)
        }
    }
}
