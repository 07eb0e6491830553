import Foundation
/// What the sustained-overload run of `ratelimit_burst` shows about Ballast's own 429s:
/// how much of the limit it still used, how many requests it refused and how fast, and
/// whether its `retry-after` was present and honest.
struct OverloadFigures: Sendable {
    let requests: Int
    /// Successes completed within the arrival window, per second of it.
    let goodput: Double
    let goodputShare: Double
    let ownRejections: Int
    let ownRejectionLatencies: [Double]
    /// `retry-after` values of Ballast's own 429s, in seconds (unparseable ones left out).
    let retryAfters: [Double]
    let ownWithoutRetryAfter: Int
    let upstream429s: Int
    let otherFailures: Int
    let admittedLatencies: [Double]
    /// Probes after Ballast's own 429s: sent, admitted, refused again.
    let probes: Int
    let probesAdmitted: Int
    let probesRefusedAgain: Int
    /// The same after the upstream's 429s that Ballast relayed.
    let relayedProbes: Int
    let relayedProbesAdmitted: Int

    init(way: WayResult, window: Double, limit: Double) {
        let outcomes = way.outcomes
        requests = outcomes.count
        goodput = Double(outcomes.filter { $0.ok && $0.completedAt <= window }.count) / window
        goodputShare = goodput / limit
        let own = outcomes.filter(\.isBallastOwnRateLimit)
        ownRejections = own.count
        ownRejectionLatencies = own.map { $0.latency * 1000 }.sorted()
        retryAfters = own.compactMap { $0.retryAfter.flatMap(Double.init) }.sorted()
        ownWithoutRetryAfter = own.filter { $0.retryAfter == nil }.count
        upstream429s = outcomes.filter { $0.status == 429 && !$0.isBallastOwnRateLimit }.count
        otherFailures = outcomes.filter { !$0.ok && $0.status != 429 }.count
        admittedLatencies = outcomes.filter(\.ok).map { $0.latency * 1000 }.sorted()
        let ownProbes = way.probes.filter { $0.probeOfOwn == true }
        probes = ownProbes.count
        probesAdmitted = ownProbes.filter(\.ok).count
        probesRefusedAgain = ownProbes.filter { $0.status == 429 }.count
        let relayed = way.probes.filter { $0.probeOfOwn != true }
        relayedProbes = relayed.count
        relayedProbesAdmitted = relayed.filter(\.ok).count
    }

    var ownShare: Double { requests == 0 ? 0 : Double(ownRejections) / Double(requests) }

    var table: BenchTable {
        func ms(_ values: [Double], _ percent: Double) -> String {
            values.isEmpty ? "-" : "\(BenchFormat.ms(WayResult.percentile(values, percent))) ms"
        }
        func seconds(_ percent: Double) -> String {
            retryAfters.isEmpty ? "-" : String(format: "%.0f s", WayResult.percentile(retryAfters, percent))
        }
        let rows: [[String]] = [
            ["requests offered", "\(requests)"],
            ["goodput within the arrival window", String(format: "%.1f/s (%@ of the limit)", goodput, BenchFormat.percent(goodputShare))],
            ["answered by Ballast's own 429", "\(ownRejections) (\(BenchFormat.percent(ownShare)))"],
            ["… latency of those 429s p50 / p99", "\(ms(ownRejectionLatencies, 50)) / \(ms(ownRejectionLatencies, 99))"],
            ["… with a `retry-after` header", "\(ownRejections - ownWithoutRetryAfter) of \(ownRejections)"],
            ["… `retry-after` min / p50 / max", retryAfters.isEmpty ? "-" : "\(seconds(0.0001)) / \(seconds(50)) / \(seconds(100))"],
            ["upstream 429s relayed", "\(upstream429s)"],
            ["other failures", "\(otherFailures)"],
            ["admitted requests' latency p50 / p99", "\(ms(admittedLatencies, 50)) / \(ms(admittedLatencies, 99))"],
            [
                "probes after Ballast's own 429, sent once at `retry-after`: admitted / refused again",
                probes == 0 ? "none" : "\(probesAdmitted) / \(probesRefusedAgain) of \(probes)",
            ],
            ["probes after a relayed upstream 429: admitted", relayedProbes == 0 ? "none" : "\(relayedProbesAdmitted) of \(relayedProbes)"],
        ]
        return BenchTable(columns: ["sustained 1.5x overload through Ballast", "measured"], rows: rows)
    }

    var figures: [String: Double] {
        var figures: [String: Double] = [
            "overload_goodput": goodput, "overload_goodput_share_of_limit": goodputShare,
            "overload_own_429_share": ownShare, "overload_own_429_without_retry_after": Double(ownWithoutRetryAfter),
            "overload_upstream_429": Double(upstream429s), "overload_probes": Double(probes),
            "overload_probes_admitted": Double(probesAdmitted),
        ]
        if !ownRejectionLatencies.isEmpty {
            figures["overload_own_429_p99_ms"] = WayResult.percentile(ownRejectionLatencies, 99)
        }
        if !retryAfters.isEmpty {
            figures["overload_retry_after_min_s"] = retryAfters[0]
            figures["overload_retry_after_p50_s"] = WayResult.percentile(retryAfters, 50)
            figures["overload_retry_after_max_s"] = retryAfters[retryAfters.count - 1]
        }
        return figures
    }
}
