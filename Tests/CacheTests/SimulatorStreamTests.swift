import BallastCore
import BallastTesting
import Cache
import Foundation
import Testing
@testable import JSON
@testable import BallastSimulator

@Suite("Streams recorded from the simulator")
struct SimulatorStreamTests {
    /// POSTs `body` with `curl` and returns the response body.
    private func post(_ url: String, body: String) throws -> [UInt8] {
        let arguments = [
            "-sS", "--max-time", "20", "-H", "content-type: application/json",
            "-H", "anthropic-version: 2023-06-01", "-H", "Expect:", "--data-binary", body, url,
        ]
        return Array(try ChildProcess.run("/usr/bin/curl", arguments).output)
    }

    @Test("a simulator stream assembles into the simulator's own non-streaming answer, and re-streams into it")
    func simulatorStream() throws {
        let simulator = Simulator(
            config: SimulatorConfig(
                seed: 7,
                regions: [
                    SimulatedRegionConfig(output: OutputModel(minTokens: 40, maxTokens: 80))
                ]))
        try simulator.start()
        defer { simulator.stop() }
        let url = simulator.regions[0].baseURL + "/v1/messages"
        let plainBody = #"{"model":"claude-sonnet-4-5","max_tokens":1024,"messages":[{"role":"user","content":"Tell me about caches"}]}"#
        let streamBody = #"{"model":"claude-sonnet-4-5","max_tokens":1024,"stream":true,"messages":[{"role":"user","content":"Tell me about caches"}]}"#

        let plain = try JSONParser.parse(try post(url, body: plainBody))
        let recorded = try post(url, body: streamBody)
        #expect(String(decoding: recorded, as: UTF8.self).hasPrefix("event: message_start"))
        var assembled = try JSONParser.parse(try MessageAssembler.assemble(streamBytes: recorded))

        // Message ids differ per response; everything else must match.
        #expect(assembled["id"]?.stringValue?.hasPrefix("msg_") == true)
        assembled.set("id", plain["id"] ?? .null)
        #expect(assembled == plain)
        #expect((plain["content"]?.arrayValue?.first?["text"]?.stringValue?.count ?? 0) > 40)

        // The same stream request keys the same as the plain one, and re-streams as an equal message.
        let headers: HTTPHeaders = ["anthropic-version": "2023-06-01"]
        #expect(
            try CacheKey(credential: "c", path: "/v1/messages", body: Array(plainBody.utf8), headers: headers)
                == CacheKey(credential: "c", path: "/v1/messages", body: Array(streamBody.utf8), headers: headers))
        let restreamed = try StreamSynthesizer().streamBody(forMessage: plain.serialized())
        #expect(try JSONParser.parse(MessageAssembler.assemble(streamBytes: restreamed)) == plain)
    }
}
