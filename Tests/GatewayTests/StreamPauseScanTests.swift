import BallastConfig
import BallastCore
import BallastTesting
import Dispatch
import Foundation
#if canImport(Glibc)
import Glibc
#endif
import Gateway
import HTTPServer
import Synchronization
import Testing
import Upstream

/// When the client reads slower than the upstream writes, the relay's `write` answers `.full`,
/// the attempt refuses the bytes and libcurl pauses, then offers the same bytes again. What the
/// attempt reads from the stream (usage, the message the cache assembles) must see each byte
/// once: a stream relayed through pauses is cached exactly as sent. Real libcurl on both sides
/// and a real MHD relay; a 1 KiB relay buffer (`server.stream_buffer`) makes the refusals
/// certain whatever the loopback buffers hold (they grow to 32 MiB here, tcp_rmem, so a
/// stalled client alone did not fill the default 256 KiB relay with 64 MiB of stream: a
/// probe in the `.full` branch counted none; with 1 KiB it counted hundreds per run).
@Suite struct StreamPauseScanTests {
    static let deltasPerChunk = 8
    static let chunks = 2000
    static var deltas: Int { deltasPerChunk * chunks }
    static func text(_ index: Int) -> String { "d\(index) " }

    static func event(_ name: String, _ json: String) -> [UInt8] { Array("event: \(name)\ndata: \(json)\n\n".utf8) }

    static func chunk(_ index: Int) -> [UInt8] {
        if index == 0 {
            return event(
                "message_start",
                #"{"type":"message_start","message":{"id":"msg_pause","type":"message","role":"assistant","model":"m","content":[],"stop_reason":null,"stop_sequence":null,"usage":{"input_tokens":3,"output_tokens":1}}}"#
            )
                + event("content_block_start", #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#)
        }
        if index == chunks + 1 {
            return event("content_block_stop", #"{"type":"content_block_stop","index":0}"#)
                + event(
                    "message_delta", #"{"type":"message_delta","delta":{"stop_reason":"end_turn","stop_sequence":null},"usage":{"output_tokens":\#(deltas)}}"#)
                + event("message_stop", #"{"type":"message_stop"}"#)
        }
        var bytes: [UInt8] = []
        for pair in 0..<deltasPerChunk {
            let delta = (index - 1) * deltasPerChunk + pair
            bytes += event("content_block_delta", #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\#(text(delta))"}}"#)
        }
        return bytes
    }

    @Test func aStreamRelayedThroughPausesIsAssembledAsSent() async throws {
        let upstreamCalls = Atomic<Int>(0)
        let producer = Producer()
        let upstream = try startUpstream { _, responder in
            upstreamCalls.add(1, ordering: .relaxed)
            let stream = ResponseStream()
            responder.respond(
                HTTPResponse(
                    status: 200, headers: ["content-type": "text/event-stream", "request-id": "req_pause"],
                    body: .stream(stream)))
            producer.run(stream, chunks: Self.chunks + 2) { Self.chunk($0) }
        }
        defer { upstream.stop() }
        let harness = try GatewayHarness(
            yaml: """
                listen: 127.0.0.1:0
                admin: { listen: 127.0.0.1:0 }
                store: { path: ":memory:" }
                server: { stream_buffer: 1KiB }
                upstream:
                  auth: { mode: passthrough }
                  hedge: { enabled: false }
                  timeouts: { connect: 5s, first_byte: 150s, idle: 150s, total: 300s }
                  regions:
                    - { name: primary, base_url: "http://\(upstream.address)" }
                """)
        defer { harness.stop() }
        let headers: HTTPHeaders = ["content-type": "application/json", "x-api-key": "sk-pause", "x-ballast-cache": "ttl=60"]
        let streamBody = #"{"model":"m","max_tokens":50000,"stream":true,"messages":[{"role":"user","content":"pause"}]}"#
        let streamed = await harness.post(body: streamBody, headers: headers)
        #expect(streamed.completion.error == nil)
        #expect(streamed.head?.status == 200)
        #expect(SSEText.deltas(streamed.text) == (0..<Self.deltas).map(Self.text).joined(), "the client got another stream")

        // The cached answer is the message as sent: every delta once, in order.
        let plainBody = #"{"model":"m","max_tokens":50000,"messages":[{"role":"user","content":"pause"}]}"#
        let plain = await harness.post(body: plainBody, headers: headers)
        #expect(plain.head?.headers["x-ballast-cache"] == "hit", "the streamed answer was not cached: \(plain.text.prefix(300))")
        #expect(upstreamCalls.load(ordering: .relaxed) == 1)
        let expected = (0..<Self.deltas).map(Self.text).joined()
        let object = (try? JSONSerialization.jsonObject(with: Data(plain.text.utf8))) as? [String: Any]
        let content = object?["content"] as? [[String: Any]]
        let text = content?.first?["text"] as? String ?? ""
        #expect(text.utf8.count == expected.utf8.count, "assembled \(text.utf8.count) bytes of text, sent \(expected.utf8.count)")
        #expect(text == expected)
        #expect((object?["usage"] as? [String: Any])?["output_tokens"] as? Int == Self.deltas)
    }
}
