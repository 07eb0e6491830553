import BallastConfig
import BallastCore
import BallastTesting
import Foundation
import Gateway
import Testing
import Upstream
import HTTPServer

@Suite struct MetricsEndpointTests {
    @Test func liveMetricsPassPromtoolAndCountRequests() async throws {
        let upstream = try startUpstream { _, responder in
            responder.respond(.json(200, #"{"id":"msg_1","usage":{"input_tokens":3,"output_tokens":5}}"#))
        }
        defer { upstream.stop() }
        let harness = try GatewayHarness(regions: [RegionConfig(name: "primary", baseURL: "http://\(upstream.address)")])
        defer { harness.stop() }
        for _ in 0..<5 {
            _ = await harness.post(body: #"{"model":"claude-sonnet-4-6","max_tokens":5,"messages":[]}"#)
        }
        _ = await harness.post(body: "not json")
        let scrape = await harness.get("http://\(harness.gateway.adminAddress)/metrics")
        #expect(scrape.head?.headers["content-type"]?.hasPrefix("text/plain; version=0.0.4") == true)
        let text = scrape.text
        #expect(text.contains(#"ballast_requests_total{region="primary",model="claude-sonnet-4-6",class="success",code="200"} 5"#))
        #expect(text.contains("ballast_request_duration_seconds_bucket"))
        #expect(text.contains(#"le="600""#), "latency buckets must reach 10 minutes")
        #expect(!text.contains("sk-configured"), "a secret leaked into the metrics")

        let promtool = try #require(Self.promtool, "promtool is not installed (make deps installs Debian's prometheus package)")
        let (status, output) = try Self.run(promtool, ["check", "metrics"], input: text)
        #expect(status == 0, "promtool check metrics: \(output)")

        let open = await harness.client.submitAndCollect(
            UpstreamRequest(
                method: "GET", url: "http://\(harness.gateway.adminAddress)/metrics",
                headers: ["accept": "application/openmetrics-text; version=1.0.0"]))
        #expect(open.head?.headers["content-type"]?.hasPrefix("application/openmetrics-text") == true)
        #expect(open.text.hasSuffix("# EOF\n"))
    }

    static var promtool: String? {
        ["/usr/bin/promtool", "/usr/local/bin/promtool"].first { FileManager.default.isExecutableFile(atPath: $0) }
    }

    static func run(_ tool: String, _ arguments: [String], input: String) throws -> (Int32, String) {
        // promtool reads all of its input before it writes: written first, then its output read.
        let child = try ChildProcess(tool, arguments, input: .pipe, output: .pipe, errors: .sameAsOutput)
        child.input?.write(Data(input.utf8))
        try child.input?.close()
        let outcome = child.collect()
        return (outcome.ending.status ?? -1, outcome.outputText)
    }
}

extension UpstreamClient {
    /// One request, its whole answer.
    func submitAndCollect(_ request: UpstreamRequest) async -> ResponseCollector.Result {
        let collector = ResponseCollector()
        submit(request, delegate: collector)
        return await collector.result()
    }
}
