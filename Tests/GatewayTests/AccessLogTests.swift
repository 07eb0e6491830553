import BallastConfig
import BallastCore
import BallastTesting
import Foundation
import Gateway
import Logging
import Synchronization
import Testing
import HTTPServer
import Upstream

/// `log.access: true` with `log.format: json`: one parseable line per request, and nothing
/// secret in any line of the log.
@Suite struct AccessLogTests {
    final class Lines: Sendable {
        let all = Mutex<[String]>([])
    }

    @Test func oneJSONLinePerRequestWithoutKeysPromptsOrAnswers() async throws {
        let upstream = try startUpstream { _, responder in
            responder.respond(
                .json(
                    200,
                    #"{"id":"msg_1","content":[{"type":"text","text":"ANSWER-MARKER-51"}],"#
                        + #""usage":{"input_tokens":3,"output_tokens":5}}"#))
        }
        defer { upstream.stop() }
        let lines = Lines()
        let logger = Logger(label: "ballast") { label in
            JSONLogHandler(label: label, wallTime: { 1_765_000_000.25 }) { line in lines.all.withLock { $0.append(line) } }
        }
        let config = try GatewayConfig.parse(
            """
            listen: 127.0.0.1:0
            admin: { listen: 127.0.0.1:0 }
            store: { path: ":memory:" }
            rules: { paths: [] }
            log: { format: json, access: true }
            upstream:
              auth: { mode: static, api_key_env: TEST_KEY }
              hedge: { enabled: false }
              regions:
                - { name: primary, base_url: "http://\(upstream.address)" }
            """, file: "test.yaml")
        let gateway = try GatewayService(config: config, environment: ["TEST_KEY": "sk-upstream-secret-99"], logger: logger)
        try gateway.start()
        let harness = GatewayHarness(gateway: gateway)
        defer { harness.stop() }
        let answer = await harness.post(
            body: #"{"model":"claude-sonnet-4-6","max_tokens":5,"messages":[{"role":"user","content":"PROMPT-MARKER-42"}]}"#,
            headers: ["content-type": "application/json", "x-api-key": "sk-client-secret-77"])
        #expect(answer.head?.status == 200)
        #expect(answer.text.contains("ANSWER-MARKER-51"))
        gateway.flushTelemetry()

        let logged = lines.all.withLock { $0 }
        var access: [[String: Any]] = []
        for line in logged {
            #expect(line.hasSuffix("}\n") && line.filter { $0 == "\n" }.count == 1, "one object per line: \(line)")
            let object = try #require(try JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any], "\(line)")
            #expect(object["time"] as? String == "2025-12-06T05:46:40.250Z")
            #expect(object["level"] is String && object["message"] is String && object["logger"] as? String == "ballast")
            if object["message"] as? String == "request" { access.append(object) }
            for secret in ["PROMPT-MARKER-42", "ANSWER-MARKER-51", "sk-client-secret-77", "sk-upstream-secret-99"] {
                #expect(!line.contains(secret), "\(secret) leaked into the log: \(line)")
            }
        }
        #expect(access.count == 1, "\(logged)")
        let line = try #require(access.first)
        #expect(line["route"] as? String == "weighted")
        #expect(line["model"] as? String == "claude-sonnet-4-6")
        #expect(line["region"] as? String == "primary")
        #expect(line["status"] as? Int == 200)
        #expect(line["attempts"] as? Int == 1)
        #expect(line["input_tokens"] as? Int == 3 && line["output_tokens"] as? Int == 5)
        #expect((line["latency_ms"] as? Double ?? -1) >= 0)
        #expect((line["request_id"] as? String ?? "").range(of: #"^[0-9a-f]{8}-1$"#, options: .regularExpression) != nil)
        // Usage: no cache use here; 3 input and 5 output tokens at the shipped example's
        // claude-sonnet-4* prices (3 and 15 dollars per million); no trace with tracing off.
        #expect(line["cache_read_tokens"] as? Int == 0 && line["cache_creation_tokens"] as? Int == 0)
        #expect(abs((line["cost_usd"] as? Double ?? 0) - (3 * 3 + 5 * 15) / 1e6) < 1e-12)
        #expect(line["usage"] == nil && line["trace_id"] == nil)
    }
}
