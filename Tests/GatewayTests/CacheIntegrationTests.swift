import BallastConfig
import BallastCore
import BallastTesting
import Dispatch
import Gateway
import HTTPServer
import Synchronization
import Testing
import Upstream
@testable import BallastSimulator
import Foundation

/// The hot-request cache end to end: opt-in, never across API keys, streams served from a
/// cached answer, and identical concurrent requests coalesced into one upstream call.
@Suite struct CacheIntegrationTests {
    static let body = #"{"model":"claude-haiku-4-5","max_tokens":50,"messages":[{"role":"user","content":"same question"}]}"#
    static let streamBody = #"{"model":"claude-haiku-4-5","max_tokens":50,"stream":true,"messages":[{"role":"user","content":"same question"}]}"#

    private func simulatorHarness(firstByte: String = "0ms") throws -> (Simulator, GatewayHarness) {
        let simulator = Simulator(
            config: try SimulatorConfig.parse(
                """
                regions:
                  - { name: primary, listen: 127.0.0.1:0, latency: { first_byte: { median: \(firstByte) }, token_interval: 1ms } }
                """))
        try simulator.start()
        let harness = try GatewayHarness(
            regions: [RegionConfig(name: "primary", baseURL: simulator.regions[0].baseURL)],
            auth: .passthrough)
        return (simulator, harness)
    }

    @Test func optedInAnswersAreReusedButNeverAcrossKeys() async throws {
        let (simulator, harness) = try simulatorHarness()
        defer {
            harness.stop()
            simulator.stop()
        }
        let headers: HTTPHeaders = ["content-type": "application/json", "x-api-key": "sk-alice", "x-ballast-cache": "ttl=60"]
        let first = await harness.post(body: Self.body, headers: headers)
        let second = await harness.post(body: Self.body, headers: headers)
        #expect(first.head?.status == 200)
        #expect(first.head?.headers["x-ballast-cache"] == nil)
        #expect(second.head?.headers["x-ballast-cache"] == "hit")
        #expect(second.text == first.text)
        #expect(simulator.regions[0].stats.requestsReceived == 1)

        var bob = headers
        bob.set("x-api-key", "sk-bob")
        let other = await harness.post(body: Self.body, headers: bob)
        #expect(other.head?.headers["x-ballast-cache"] == nil, "a cached answer crossed API keys")
        #expect(simulator.regions[0].stats.requestsReceived == 2)

        // Without opting in, nothing is reused.
        let plain: HTTPHeaders = ["content-type": "application/json", "x-api-key": "sk-alice"]
        _ = await harness.post(body: Self.body, headers: plain)
        #expect(simulator.regions[0].stats.requestsReceived == 3)
    }

    @Test func aStreamIsServedFromACachedAnswerAndViceVersa() async throws {
        let (simulator, harness) = try simulatorHarness()
        defer {
            harness.stop()
            simulator.stop()
        }
        let headers: HTTPHeaders = ["content-type": "application/json", "x-api-key": "sk-alice", "x-ballast-cache": "ttl=60"]
        // A streamed answer is assembled and cached …
        let streamed = await harness.post(body: Self.streamBody, headers: headers)
        #expect(streamed.head?.status == 200)
        // … and a plain request gets it as one Message.
        let plain = await harness.post(body: Self.body, headers: headers)
        #expect(plain.head?.headers["x-ballast-cache"] == "hit")
        #expect(plain.head?.headers["content-type"] == "application/json")
        #expect(simulator.regions[0].stats.requestsReceived == 1)
        // A stream request for the cached answer gets a well-formed SSE stream.
        let again = await harness.post(body: Self.streamBody, headers: headers)
        #expect(again.head?.headers["content-type"] == "text/event-stream")
        #expect(again.text.hasPrefix("event: message_start\n"))
        #expect(again.text.contains("event: message_stop\n"))
        let text = SSEText.deltas(again.text)
        let directText = SSEText.deltas(streamed.text)
        #expect(!text.isEmpty)
        #expect(text == directText)
    }

    @Test func identicalConcurrentRequestsShareOneUpstreamCall() async throws {
        let (simulator, harness) = try simulatorHarness(firstByte: "300ms")
        defer {
            harness.stop()
            simulator.stop()
        }
        let headers: HTTPHeaders = ["content-type": "application/json", "x-api-key": "sk-alice", "x-ballast-cache": "ttl=60"]
        let results = await withTaskGroup(of: ResponseCollector.Result.self) { group in
            for _ in 0..<20 { group.addTask { await harness.post(body: Self.body, headers: headers) } }
            var all: [ResponseCollector.Result] = []
            for await result in group { all.append(result) }
            return all
        }
        #expect(results.allSatisfy { $0.head?.status == 200 })
        #expect(Set(results.map(\.text)).count == 1)
        #expect(simulator.regions[0].stats.requestsReceived == 1, "a stampede reached the upstream")
        #expect(results.filter { $0.head?.headers["x-ballast-cache"] == "coalesced" }.count >= 15)
    }
}

/// The text of the `text_delta`s of an SSE body, concatenated.
enum SSEText {
    static func deltas(_ stream: String) -> String {
        var scanner = SSEScanner()
        var text = ""
        for event in scanner.feed(Array(stream.utf8)) where event.name == "content_block_delta" {
            guard let range = event.data.range(of: #""text":""#) else { continue }
            var value = ""
            var escaped = false
            for ch in event.data[range.upperBound...] {
                if escaped {
                    value.append(ch == "n" ? "\n" : ch)
                    escaped = false
                    continue
                }
                if ch == "\\" {
                    escaped = true
                    continue
                }
                if ch == "\"" { break }
                value.append(ch)
            }
            text += value
        }
        return text
    }
}
