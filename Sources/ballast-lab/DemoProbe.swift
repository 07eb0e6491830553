import BallastCore
import BallastTesting
import Foundation
import Synchronization
import Telemetry
import Upstream
import SQLite

/// Reads Ballast's state while it runs: counters and gauges from `/metrics`, recent
/// attempts and the latest actions from its SQLite store (WAL lets a reader in while Ballast
/// writes). Used from one task at a time; the lock only makes that safe to state.
final class DemoProbe: Sendable {
    private let admin: String
    private let client: UpstreamClient
    private let database: String
    /// Wall time (Unix seconds) of the load's start, so audit times read as demo times.
    private let originWall: Double
    private let connection = Mutex<SQLiteDatabase?>(nil)
    static let window = 5.0

    init(admin: String, client: UpstreamClient, database: String, originWall: Double) {
        self.admin = admin
        self.client = client
        self.database = database
        self.originWall = originWall
    }

    func status(regions: [String], actionCount: Int = 4) async -> DemoStatus {
        var status = DemoStatus()
        let metrics = await scrape()
        func values(_ name: String) -> [(labels: [String: String], value: Double)] {
            metrics.filter { $0.name == name }.map { ($0.labels, $0.value) }
        }
        status.degradationLevel = Int(values("ballast_degradation_level").first?.value ?? 0)
        let hedges = values("ballast_hedges_total")
        status.hedgesSent = Int(hedges.first { $0.labels["result"] == "sent" }?.value ?? 0)
        status.hedgesWon = Int(hedges.first { $0.labels["result"] == "won" }?.value ?? 0)
        status.tokenRefreshes = Int(values("ballast_token_refreshes_total").first { $0.labels["result"] == "success" }?.value ?? 0)
        status.retries = Int(values("ballast_retries_total").reduce(0) { $0 + $1.value })
        let weights = values("ballast_route_weight")
        let circuits = values("ballast_circuit_state").filter { $0.value == 1 }
        let recent = recentAttempts()
        for name in regions {
            let attempts = recent.filter { $0.region == name }
            status.regions.append(
                DemoStatus.Region(
                    name: name,
                    state: circuits.first { $0.labels["target"] == "region=\(name)" }?.labels["state"] ?? "closed",
                    weight: Int(weights.first { $0.labels["region"] == name }?.value ?? 0),
                    attemptsPerSecond: Double(attempts.count) / Self.window,
                    errorsPerSecond: Double(attempts.filter { !$0.succeeded }.count) / Self.window,
                    p99: DemoTally.percentile(99, of: attempts.map(\.latency))))
        }
        status.actions = latestActions(count: actionCount).map(\.text)
        return status
    }

    /// Every audit entry so far, oldest first, with its demo time, for the summary.
    func allActions() -> [DemoAction] { latestActions(count: 10_000) }

    // MARK: Metrics

    private struct Sample {
        var name: String
        var labels: [String: String]
        var value: Double
    }

    private func scrape() async -> [Sample] {
        let collector = ResponseCollector()
        client.submit(
            UpstreamRequest(
                method: "GET", url: "http://\(admin)/metrics",
                timeouts: UpstreamTimeouts(connect: 1, firstByte: 2, idle: 2, total: 3)),
            delegate: collector)
        return await collector.result().text.split(separator: "\n").compactMap(Self.sample)
    }

    /// One line of the Prometheus text format: `name{a="x",b="y"} value` (our label values
    /// hold no quotes or commas).
    private static func sample(_ line: Substring) -> Sample? {
        guard !line.hasPrefix("#"), let space = line.lastIndex(of: " "), let value = Double(line[line.index(after: space)...])
        else { return nil }
        let series = line[..<space]
        guard let brace = series.firstIndex(of: "{") else { return Sample(name: String(series), labels: [:], value: value) }
        var labels: [String: String] = [:]
        for pair in series[series.index(after: brace)...].dropLast().split(separator: ",") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            guard parts.count == 2 else { continue }
            labels[String(parts[0])] = String(parts[1].dropFirst().dropLast())
        }
        return Sample(name: String(series[..<brace]), labels: labels, value: value)
    }

    // MARK: Store

    private struct Attempt {
        var region: String
        var succeeded: Bool
        var latency: Double
    }

    /// Attempts that ended in the last `window` seconds (hedges that lost are left out: they
    /// were cancelled, not failed).
    private func recentAttempts() -> [Attempt] {
        var attempts: [Attempt] = []
        let since = Date().timeIntervalSince1970 - Self.window
        withConnection { database in
            let statement = try database.prepare(
                "SELECT region, outcome, latency FROM attempts WHERE time + latency >= ?1 AND cancelled = 0")
            try statement.bind(since, at: 1)
            try statement.query { row in
                attempts.append(
                    Attempt(
                        region: row.string(at: 0) ?? "", succeeded: row.string(at: 1) == "success",
                        latency: row.double(at: 2)))
            }
        }
        return attempts
    }

    private func latestActions(count: Int) -> [DemoAction] {
        var rows: [DemoAction] = []
        withConnection { database in
            let statement = try database.prepare(
                "SELECT time, kind, target, action, reason, actor FROM audit WHERE kind != 'rules_reloaded' ORDER BY id DESC LIMIT ?1")
            try statement.bind(count, at: 1)
            try statement.query { row in
                rows.append(
                    DemoAction(
                        time: row.double(at: 0) - originWall, kind: row.string(at: 1) ?? "",
                        target: row.string(at: 2) ?? "", action: row.string(at: 3) ?? "",
                        reason: row.string(at: 4) ?? "", actor: row.string(at: 5) ?? ""))
            }
        }
        return rows.reversed()
    }

    private func withConnection(_ body: (SQLiteDatabase) throws -> Void) {
        connection.withLock { connection in
            if connection == nil, FileManager.default.fileExists(atPath: database) {
                connection = try? TelemetryStore(path: database).openConnection()
            }
            guard let database = connection else { return }
            try? body(database)
        }
    }
}
