import BallastConfig
import BallastCore
import BallastTesting
import Foundation
import Gateway
import Telemetry
import Testing
import Upstream
import HTTPServer

/// Every proxied request lands in the SQLite store, and the windows the rules will read
/// agree with what was sent.
@Suite struct TelemetryIntegrationTests {
    @Test func requestsAreStoredAndWindowed() async throws {
        let directory = try TemporaryDirectory("ballast-tel")
        defer { directory.remove() }
        let path = directory.path("ballast.db")
        let upstream = try startUpstream { request, responder in
            if request.headers["x-fail"] != nil {
                responder.respond(.json(529, #"{"type":"error","error":{"type":"overloaded_error","message":"busy"}}"#))
            } else {
                responder.respond(.json(200, #"{"id":"msg_1","usage":{"input_tokens":7,"output_tokens":11}}"#))
            }
        }
        defer { upstream.stop() }
        let harness = try GatewayHarness(
            regions: [RegionConfig(name: "primary", baseURL: "http://\(upstream.address)")],
            storePath: path)
        let body = #"{"model":"claude-haiku-4-5","max_tokens":5,"messages":[]}"#
        for index in 0..<6 {
            let answer = await harness.post(body: body)
            #expect(answer.head?.status == 200, "request \(index): \(answer.head?.status ?? 0) \(answer.text.prefix(200))")
        }
        // A 529 every time: retried up to max_attempts, then relayed.
        let failed = await harness.post(body: body, headers: ["content-type": "application/json", "x-fail": "1"])
        #expect(failed.head?.status == 529)
        // A request is recorded after its answer has gone out (off the client's critical
        // path), so the last record can trail the client's view of it: flush until all are in.
        let filter = TelemetryFilter(region: "primary", model: "claude-haiku-4-5")
        let recorded = await eventually(within: 30) {
            harness.gateway.flushTelemetry()
            return (try? harness.gateway.windows.stats(last: 60, filter: filter).requests) == 7
        }
        #expect(recorded)

        let stats = try harness.gateway.windows.stats(last: 60, filter: filter)
        #expect(stats.requests == 7)
        #expect(stats.count([.success]) == 6)
        #expect(stats.count([.upstream]) == 1)
        #expect(stats.counts.inputTokens == 42)
        harness.stop()

        // What was written survives the process's view of it: reopen the file and count.
        let store = try TelemetryStore(path: path)
        #expect(try store.scalar("SELECT count(*) FROM requests") == "7")
        #expect(try store.scalar("SELECT sum(output_tokens) FROM requests WHERE outcome = 'success'") == "66")
        #expect(try store.scalar("SELECT count(*) FROM attempts") == "\(6 + RetryConfig().maxAttempts)")
        #expect(try store.integrityCheck() == "ok")
    }
}
