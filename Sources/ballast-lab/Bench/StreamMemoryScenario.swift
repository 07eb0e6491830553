import BallastCore
import BallastTesting
import Foundation
import Synchronization
import Upstream
import BallastSimulator

/// Memory must not grow with response size: one stream of about 1 GiB through one
/// connection, Ballast's RSS sampled throughout, and the same stream fetched directly as
/// the throughput baseline.
struct StreamMemoryScenario: BenchScenario {
    let name = "stream_memory"

    func run(_ context: BenchContext) async throws -> BenchSection {
        let simulator = Simulator(config: try SimulatorConfig.parse(OverheadScenario.simulatorYAML, file: "<stream simulator>"))
        try simulator.start()
        defer { simulator.stop() }
        let direct = simulator.regions[0].baseURL
        let ballast = try BallastProcess(
            configYAML: OverheadScenario.ballastYAML(
                upstream: direct,
                store: context.directory.appendingPathComponent("stream.db").path),
            directory: context.directory, environment: [:])
        defer { ballast.stop() }
        let client = context.makeLoadClient()
        defer { client.shutdown() }

        let deltaBytes = 64 * 1024
        let deltas = max(64, Int(16_384 * context.scale))  // 16,384 x 64 KiB = 1 GiB at full scale
        func request(_ base: String) -> UpstreamRequest {
            UpstreamRequest(
                url: base + "/v1/messages",
                headers: [
                    "content-type": "application/json", "x-api-key": "sk-bench",
                    "x-sim-output-tokens": "\(deltas)", "x-sim-delta-bytes": "\(deltaBytes)",
                    "x-sim-token-interval-ms": "0",
                ],
                body: Array(#"{"model":"m","max_tokens":100000000,"stream":true,"messages":[{"role":"user","content":"go"}]}"#.utf8),
                timeouts: UpstreamTimeouts(connect: 2, firstByte: 10, idle: 10, total: 600))
        }
        func fetch(_ base: String) async -> (ResponseCollector.Result, Double, Int) {
            let counter = ByteCounter()
            let start = SystemClock().now()
            client.submit(request(base), delegate: counter)
            let result = await counter.collector.result()
            return (result, SystemClock().now().seconds(since: start), counter.bytes)
        }

        context.log("stream_memory: direct")
        let (_, directSeconds, directBytes) = await fetch(direct)

        let baseline = ballast.residentBytes
        let peak = Atomic<Int>(Int(baseline))
        let sampling = Atomic<Bool>(true)
        Thread.detachNewThread {
            while sampling.load(ordering: .relaxed) {
                let rss = Int(ballast.residentBytes)
                if rss > peak.load(ordering: .relaxed) { peak.store(rss, ordering: .relaxed) }
                usleep(20_000)
            }
        }
        context.log("stream_memory: through Ballast")
        let (proxiedResult, proxiedSeconds, proxiedBytes) = await fetch("http://\(ballast.proxyAddress)")
        sampling.store(false, ordering: .relaxed)
        let growth = Double(peak.load(ordering: .relaxed)) - baseline

        let table = BenchTable(
            columns: ["path", "bytes", "seconds", "MiB/s", "Ballast RSS before", "Ballast RSS peak", "growth"],
            rows: [
                [
                    "direct to simulator", "\(directBytes)", String(format: "%.2f", directSeconds),
                    String(format: "%.0f", Double(directBytes) / 1_048_576 / directSeconds), "", "", "",
                ],
                [
                    "through Ballast", "\(proxiedBytes)", String(format: "%.2f", proxiedSeconds),
                    String(format: "%.0f", Double(proxiedBytes) / 1_048_576 / proxiedSeconds),
                    BenchFormat.mib(baseline), BenchFormat.mib(Double(peak.load(ordering: .relaxed))), BenchFormat.mib(growth),
                ],
            ])
        let ok = proxiedResult.completion.error == nil && proxiedBytes == directBytes
        let summary = """
            One SSE stream of \(BenchFormat.mib(Double(directBytes))) (\(deltas) deltas of 64 KiB) through one \
            connection. Ballast's resident memory grew by **\(BenchFormat.mib(growth))** while relaying it \
            (sampled every 20 ms); throughput through Ballast was \
            **\(BenchFormat.ratio((Double(proxiedBytes) / proxiedSeconds) / (Double(directBytes) / directSeconds)))** of the \
            direct fetch. \(ok ? "Every byte arrived." : "The proxied stream did NOT arrive whole: \(proxiedResult.completion.error.map { "\($0)" } ?? "byte count differs").")
            """
        return BenchSection(
            scenario: name, title: "Streaming memory", summary: summary, tables: [table],
            figures: [
                "stream_bytes": Double(proxiedBytes), "rss_growth_bytes": growth,
                "direct_seconds": directSeconds, "ballast_seconds": proxiedSeconds,
            ])
    }
}

/// Counts a response's bytes without keeping them.
final class ByteCounter: UpstreamTransferDelegate, @unchecked Sendable {
    let collector = ResponseCollector()
    private(set) var bytes = 0  // loop thread only

    func upstreamDidReceiveHead(_ head: UpstreamResponseHead) { collector.upstreamDidReceiveHead(head) }
    func upstreamDidReceive(_ data: UnsafeRawBufferPointer) -> Bool {
        bytes += data.count
        return true
    }
    func upstreamDidComplete(_ completion: UpstreamCompletion) { collector.upstreamDidComplete(completion) }
}
