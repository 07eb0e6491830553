import BallastTesting
import Foundation
import Upstream
import BallastSimulator
import BallastCore

/// One self-healing run: a fresh simulator with a scheduled fault, Ballast with the shipped
/// rules in front of it (or not, for the unprotected baseline), and open-loop load streams
/// until `fault.total` seconds after the simulator started. Each stream has its own client
/// and recorder, so runs can go on side by side.
struct FaultRunner: Sendable {
    /// Fault times in seconds after the simulator start.
    struct Fault: Sendable {
        var start: Double
        var duration: Double
        var total: Double
        var end: Double { start + duration }
    }

    let context: BenchContext

    /// A primary and a standby; `faults` apply to the primary from `fault.start` for its
    /// duration, only to `models` when given, and to the standby too when `bothRegions`.
    static func simulatorYAML(fault: Fault, faults: String, models: [String]? = nil, bothRegions: Bool = false) -> String {
        let scope = models.map { ", models: [\($0.map { "\"\($0)\"" }.joined(separator: ", "))]" } ?? ""
        let schedule = """
                schedule:
                  - { at: \(fault.start), for: \(fault.duration)\(scope), faults: \(faults) }
            """
        return """
            seed: 7
            regions:
              - name: primary
                listen: 127.0.0.1:0
                latency: { first_byte: { median: 20ms }, token_interval: 0ms }
                output: { min_tokens: 12, max_tokens: 12 }
            \(schedule)
              - name: secondary
                listen: 127.0.0.1:0
                latency: { first_byte: { median: 20ms }, token_interval: 0ms }
                output: { min_tokens: 12, max_tokens: 12 }
            \(bothRegions ? schedule : "")
            """
    }

    /// The shipped rules from `<repo>/rules`, as `ballast demo` finds them.
    static var rulesGlob: String { FileManager.default.currentDirectoryPath + "/rules/*.yaml" }

    static func ballastYAML(primary: String, secondary: String, store: String) -> String {
        """
        listen: 127.0.0.1:0
        admin: { listen: 127.0.0.1:0 }
        store: { path: "\(store)" }
        server: { drain_timeout: 2s }
        rules: { paths: ["\(rulesGlob)"] }
        upstream:
          auth: { mode: passthrough }
          timeouts: { connect: 1s, first_byte: 20s, idle: 10s, total: 60s }
          regions:
            - { name: primary, base_url: "\(primary)", weight: 100 }
            - { name: secondary, base_url: "\(secondary)", weight: 0 }
        """
    }

    static func plan(baseURL: String, stream: LoadStream, seconds: Double, seed: UInt64) -> LoadPlan {
        let body = Array(#"{"model":"\#(stream.model)","max_tokens":\#(stream.maxTokens),"messages":[{"role":"user","content":"Say hello."}]}"#.utf8)
        return LoadPlan(
            rate: stream.rate, duration: seconds, maxRequests: Int(stream.rate * seconds * 1.2) + 10, drainTimeout: 10,
            seed: seed
        ) { _, _ in
            UpstreamRequest(
                url: baseURL + "/v1/messages",
                headers: [
                    "content-type": "application/json", "x-api-key": "sk-bench",
                    "anthropic-version": "2023-06-01",
                ],
                body: body, timeouts: UpstreamTimeouts(connect: 2, firstByte: 10, idle: 10, total: 20))
        }
    }

    /// Runs the fault; one result per stream, in order.
    func run(label: String, yaml: String, fault: Fault, viaBallast: Bool, streams: [LoadStream]) async throws -> [FaultRunResult] {
        context.log("self_healing: \(label)")
        let simulator = Simulator(config: try SimulatorConfig.parse(yaml, file: "<self_healing simulator>"))
        let simulatorStart = Date().timeIntervalSince1970
        try simulator.start()
        defer { simulator.stop() }
        let primary = simulator.regions[0].baseURL
        var ballast: BallastProcess?
        var storePath: String?
        if viaBallast {
            let store = context.directory.appendingPathComponent("self-healing-\(label.filter { $0.isLetter || $0.isNumber }).db").path
            storePath = store
            ballast = try BallastProcess(
                configYAML: Self.ballastYAML(
                    primary: primary, secondary: simulator.regions[1].baseURL,
                    store: store),
                directory: context.directory, environment: [:])
        }
        defer { ballast?.stop() }
        let baseURL = ballast.map { "http://\($0.proxyAddress)" } ?? primary
        let loadOffset = Date().timeIntervalSince1970 - simulatorStart
        let seconds = max(1, fault.total - loadOffset)
        let context = self.context
        let store = storePath
        let results = try await withThrowingTaskGroup(of: (Int, FaultRunResult).self) { group in
            for (index, stream) in streams.enumerated() {
                group.addTask {
                    let client = context.makeLoadClient()
                    defer { client.shutdown() }
                    let plan = Self.plan(baseURL: baseURL, stream: stream, seconds: seconds, seed: context.seed &+ UInt64(index))
                    let result = await Self.load(plan, client: client, fault: fault, simulatorStart: simulatorStart)
                    return (
                        index,
                        FaultRunResult(
                            total: result.total, startedInFault: result.startedInFault,
                            failedInFault: result.failedInFault, failedInFaultByStatus: result.byStatus,
                            simulatorStart: simulatorStart, loadOffset: loadOffset, storePath: store)
                    )
                }
            }
            var all: [(Int, FaultRunResult)] = []
            for try await one in group { all.append(one) }
            return all.sorted { $0.0 < $1.0 }.map(\.1)
        }
        ballast?.stop()
        for (stream, result) in zip(streams, results) {
            context.log(
                "\(label) (\(stream.model)): \(result.total.started) requests, \(result.total.failed) failed; load began "
                    + "\(String(format: "%.2f", loadOffset)) s after the simulator; by region \(result.total.regions.sorted { $0.key < $1.key }), "
                    + "\(String(format: "%.2f", result.total.attemptsPerRequest)) attempts per answer")
        }
        return results
    }

    /// Runs one plan; snapshots at the fault start and 1 s after its end give the failures
    /// inside the fault window (requests in flight at its start count as started in it).
    private static func load(
        _ plan: LoadPlan, client: UpstreamClient, fault: Fault, simulatorStart: Double
    ) async
        -> (total: LoadReport, startedInFault: Int, failedInFault: Int, byStatus: [Int: Int])
    {
        let recorder = LoadRecorder()
        let windows = Task { () -> (LoadReport, LoadReport) in
            func snapshot(at offset: Double) async -> LoadReport {
                let wait = simulatorStart + offset - Date().timeIntervalSince1970
                if wait > 0 { try? await Task.sleep(for: .seconds(wait)) }
                return recorder.snapshot(elapsed: 0)
            }
            let atStart = await snapshot(at: fault.start)
            let settled = await snapshot(at: fault.end + 1)
            return (atStart, settled)
        }
        let total = await LoadGenerator(client: client).run(plan, recorder: recorder)
        let (atStart, settled) = await windows.value
        var byStatus: [Int: Int] = [:]
        for (status, count) in settled.failedByStatus {
            let delta = count - (atStart.failedByStatus[status] ?? 0)
            if delta > 0 { byStatus[status] = delta }
        }
        let transport = settled.transportFailures - atStart.transportFailures
        if transport > 0 { byStatus[0] = transport }
        let inFlight = atStart.started - atStart.succeeded - atStart.failed
        return (total, settled.started - atStart.started + inFlight, settled.failed - atStart.failed, byStatus)
    }
}
