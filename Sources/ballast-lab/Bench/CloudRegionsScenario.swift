import BallastConfig
import BallastCore
import BallastTesting
import CloudRegions
import Foundation
import HTTPServer
import Upstream
import BallastSimulator

/// What a Bedrock region costs over the plain Anthropic path: the same streamed answer from
/// the same zero-latency upstream, once as SSE to an `anthropic` region and once as AWS
/// event-stream frames to a `bedrock` region (translated body, SigV4, frames decoded and
/// relayed as SSE), in alternating rounds of one run. Also the CPU time of the two added steps
/// alone, in this process.
struct CloudRegionsScenario: BenchScenario {
    let name = "cloud_regions"

    static let modelID = "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
    static let body = Array(#"{"model":"claude-sonnet-4-5","max_tokens":64,"stream":true,"messages":[{"role":"user","content":"Say hello."}]}"#.utf8)

    /// A typical short answer: start, 40 text deltas, the ends.
    static let events: [(String, String)] = {
        var events = [
            (
                "message_start",
                #"{"type":"message_start","message":{"id":"msg_bench","type":"message","role":"assistant","model":"claude-sonnet-4-5","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":12,"output_tokens":1}}}"#
            ),
            ("content_block_start", #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#),
        ]
        for index in 0..<40 {
            events.append(("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"word\#(index) "}}"#))
        }
        events += [
            ("content_block_stop", #"{"type":"content_block_stop","index":0}"#),
            ("message_delta", #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":40}}"#),
            ("message_stop", #"{"type":"message_stop"}"#),
        ]
        return events
    }()

    static let sse = Array(events.map { "event: \($0.0)\ndata: \($0.1)\n\n" }.joined().utf8)
    static let frames: [UInt8] = events.flatMap { event in
        EventStreamEncoder.encode(
            headers: [(":event-type", "chunk"), (":content-type", "application/json"), (":message-type", "event")],
            payload: Array(#"{"bytes":"\#(Data(event.1.utf8).base64EncodedString())"}"#.utf8))
    }

    static func ballastYAML(upstream: String, store: String, bedrock: Bool) -> String {
        let region =
            bedrock
            ? #"- { name: bedrock, kind: bedrock, aws_region: us-east-1, endpoint: "\#(upstream)", weight: 100, models: { "claude-*": "\#(modelID)" } }"#
            : #"- { name: anthropic, base_url: "\#(upstream)", weight: 100 }"#
        return """
            listen: 127.0.0.1:0
            admin: { listen: 127.0.0.1:0 }
            store: { path: "\(store)" }
            upstream:
              auth: { mode: passthrough }
              pool: { max_per_host: 64, max_total: 128 }
              hedge: { enabled: false }
              regions:
                \(region)
            """
    }

    static func plan(baseURL: String, rate: Double, seconds: Double, seed: UInt64) -> LoadPlan {
        LoadPlan(rate: rate, duration: seconds, maxRequests: Int(rate * seconds * 1.2) + 10, drainTimeout: 10, seed: seed) { _, _ in
            UpstreamRequest(
                url: baseURL + "/v1/messages",
                headers: ["content-type": "application/json", "x-api-key": "sk-bench", "anthropic-version": "2023-06-01"],
                body: body, timeouts: UpstreamTimeouts(connect: 2, firstByte: 10, idle: 10, total: 20))
        }
    }

    func run(_ context: BenchContext) async throws -> BenchSection {
        // One upstream for both: SSE on the Messages path, frames on Bedrock's.
        let upstream = HTTPServer(
            configuration: HTTPServerConfiguration(host: "127.0.0.1", port: 0, threads: 2),
            handler: ClosureHTTPHandler { request, responder in
                if request.path.hasPrefix("/model/"), request.path.hasSuffix("/invoke-with-response-stream") {
                    let signed = request.headers["authorization"]?.hasPrefix("AWS4-HMAC-SHA256 ") == true
                    responder.respond(
                        signed
                            ? HTTPResponse(
                                status: 200, headers: ["content-type": "application/vnd.amazon.eventstream"],
                                body: .bytes(Self.frames))
                            : HTTPResponse.json(403, #"{"message":"unsigned"}"#))
                } else {
                    responder.respond(HTTPResponse(status: 200, headers: ["content-type": "text/event-stream"], body: .bytes(Self.sse)))
                }
            })
        try upstream.start()
        defer { upstream.stop(gracePeriod: 0) }
        let base = "http://\(upstream.address)"
        let environment = ["AWS_ACCESS_KEY_ID": "AKIABENCH", "AWS_SECRET_ACCESS_KEY": "bench-secret"]
        let plain = try BallastProcess(
            configYAML: Self.ballastYAML(
                upstream: base, store: context.directory.appendingPathComponent("cloud-plain.db").path,
                bedrock: false),
            directory: context.directory, environment: environment)
        defer { plain.stop() }
        let bedrock = try BallastProcess(
            configYAML: Self.ballastYAML(
                upstream: base, store: context.directory.appendingPathComponent("cloud-bedrock.db").path,
                bedrock: true),
            directory: context.directory, environment: environment)
        defer { bedrock.stop() }
        let client = context.makeLoadClient()
        defer { client.shutdown() }
        let load = LoadGenerator(client: client)
        let plainURL = "http://\(plain.proxyAddress)"
        let bedrockURL = "http://\(bedrock.proxyAddress)"

        context.log("cloud_regions: warm-up")
        _ = await load.run(Self.plan(baseURL: plainURL, rate: 200, seconds: 1, seed: context.seed))
        _ = await load.run(Self.plan(baseURL: bedrockURL, rate: 200, seconds: 1, seed: context.seed))
        let rate = 500.0
        var plainRuns: [LoadReport] = []
        var bedrockRuns: [LoadReport] = []
        for round in 0..<2 {
            context.log("cloud_regions: \(Int(rate)) req/s round \(round + 1)")
            plainRuns.append(await load.run(Self.plan(baseURL: plainURL, rate: rate, seconds: context.seconds(5), seed: context.seed &+ UInt64(round))))
            bedrockRuns.append(await load.run(Self.plan(baseURL: bedrockURL, rate: rate, seconds: context.seconds(5), seed: context.seed &+ UInt64(round))))
        }
        let plainAll = OverheadScenario.merged(plainRuns)
        let bedrockAll = OverheadScenario.merged(bedrockRuns)

        // The added steps alone, in this process: translating and signing one request, and
        // decoding one answer's frames into SSE.
        let iterations = max(200, Int(2000 * context.scale))
        let region = CloudRegion(
            name: "bench", kind: .bedrock,
            settings: CloudRegionConfig(
                awsRegion: "us-east-1", endpoint: base,
                models: [ModelMapping(pattern: "claude-*", target: Self.modelID)]),
            auth: .awsKeys(AWSCredentials(accessKeyID: "AKIABENCH", secretAccessKey: "bench-secret")),
            clock: SystemClock())
        let signStart = DispatchTime.now().uptimeNanoseconds
        var signed = 0
        for _ in 0..<iterations {
            if case .ready = region.prepare(model: "claude-sonnet-4-5", body: Self.body, headers: [:], stream: true) { signed += 1 }
        }
        let signMicros = Double(DispatchTime.now().uptimeNanoseconds - signStart) / 1000 / Double(iterations)
        let decodeStart = DispatchTime.now().uptimeNanoseconds
        var relayedBytes = 0
        for _ in 0..<iterations {
            var decoder = EventStreamDecoder()
            for message in (try? decoder.feed(Self.frames)) ?? [] {
                relayedBytes += BedrockStreamRelay.sse(BedrockStreamRelay.relay(message)).count
            }
        }
        let decodeMicros = Double(DispatchTime.now().uptimeNanoseconds - decodeStart) / 1000 / Double(iterations)
        let ok = signed == iterations && relayedBytes == Self.sse.count * iterations

        func row(_ path: String, _ report: LoadReport) -> [String] {
            [
                path, "\(report.started)", "\(report.failed)", "\(BenchFormat.ms(report.latencyMs(50))) ms",
                "\(BenchFormat.ms(report.latencyMs(99))) ms",
            ]
        }
        let added50 = bedrockAll.latencyMs(50) - plainAll.latencyMs(50)
        let added99 = bedrockAll.latencyMs(99) - plainAll.latencyMs(99)
        let ratio50 = plainAll.latencyMs(50) > 0 ? bedrockAll.latencyMs(50) / plainAll.latencyMs(50) : 0
        let table = BenchTable(
            columns: ["path", "requests", "failed", "p50", "p99"],
            rows: [
                row("anthropic region (SSE passed through)", plainAll),
                row("bedrock region (SigV4, frames decoded to SSE)", bedrockAll),
                [
                    "added by the Bedrock path", "", "", "\(BenchFormat.ms(added50)) ms (\(String(format: "%.2f", ratio50))x)",
                    "\(BenchFormat.ms(added99)) ms",
                ],
            ])
        let steps = BenchTable(
            columns: ["step, in process", "per request"],
            rows: [
                ["translate + SigV4-sign a request", String(format: "%.1f µs", signMicros)],
                ["decode \(Self.events.count) frames (\(Self.frames.count) B) to SSE (\(Self.sse.count) B)", String(format: "%.1f µs", decodeMicros)],
            ])
        let summary = """
            Streamed requests (\(Self.events.count) events each) at \(Int(rate)) req/s, open loop, through two `ballast serve` \
            processes in alternating rounds against one zero-latency upstream: one with an `anthropic` region (SSE \
            relayed as it comes) and one with a `bedrock` region (body translated, SigV4-signed, AWS event-stream \
            frames CRC-checked, decoded and relayed as SSE). The Bedrock path adds **\(BenchFormat.ms(added50)) ms at p50 \
            (\(String(format: "%.2f", ratio50))x the plain path) and \(BenchFormat.ms(added99)) ms at p99**. Alone, in this process, \
            signing costs \(String(format: "%.1f", signMicros)) µs per request and decoding one answer's frames \
            \(String(format: "%.1f", decodeMicros)) µs\(ok ? "" : " (CHECK FAILED: not every request signed or every byte relayed)").
            """
        return BenchSection(
            scenario: name, title: "Bedrock region overhead", summary: summary, tables: [table, steps],
            figures: [
                "plain_p50_ms": plainAll.latencyMs(50), "plain_p99_ms": plainAll.latencyMs(99),
                "bedrock_p50_ms": bedrockAll.latencyMs(50), "bedrock_p99_ms": bedrockAll.latencyMs(99),
                "added_p50_ms": added50, "added_p99_ms": added99, "p50_ratio": ratio50,
                "sign_us": signMicros, "decode_us": decodeMicros,
                "plain_failed": Double(plainAll.failed), "bedrock_failed": Double(bedrockAll.failed),
            ])
    }
}
