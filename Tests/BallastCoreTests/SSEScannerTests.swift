import BallastCore
import Testing

@Suite struct SSEScannerTests {
    @Test func splitsEventsAcrossArbitraryChunks() {
        let stream =
            "event: message_start\ndata: {\"a\":1}\n\n: keep-alive\n\nevent: ping\r\ndata: {}\r\n\r\nevent: error\ndata: {\"type\":\"error\"}\ndata: more\n\n"
        let bytes = Array(stream.utf8)
        for chunk in [1, 2, 5, 13, bytes.count] {
            var scanner = SSEScanner()
            var events: [SSEEvent] = []
            var start = 0
            while start < bytes.count {
                let end = min(start + chunk, bytes.count)
                events += scanner.feed(Array(bytes[start..<end]))
                start = end
            }
            #expect(
                events == [
                    SSEEvent(name: "message_start", data: #"{"a":1}"#),
                    SSEEvent(name: "ping", data: "{}"),
                    SSEEvent(name: "error", data: "{\"type\":\"error\"}\nmore"),
                ], "chunk \(chunk)")
        }
    }

    @Test func oversizedEventsAreSkippedNotBuffered() {
        var scanner = SSEScanner(maxEventBytes: 16)
        let events = scanner.feed(Array("event: big\ndata: 0123456789012345678901234\n\nevent: ok\ndata: x\n\n".utf8))
        #expect(events == [SSEEvent(name: "ok", data: "x")])
    }

    @Test func usageFromBodyAndStream() {
        let body = Array(#"{"id":"msg_1","usage":{"input_tokens":25,"output_tokens": 7}}"#.utf8)
        #expect(MessageUsage.fromMessageBody(body) == MessageUsage(inputTokens: 25, outputTokens: 7))
        var usage = MessageUsage.unknown
        usage.apply(SSEEvent(name: "message_start", data: #"{"message":{"usage":{"input_tokens":12,"output_tokens":1}}}"#))
        usage.apply(SSEEvent(name: "message_delta", data: #"{"usage":{"output_tokens":40}}"#))
        #expect(usage == MessageUsage(inputTokens: 12, outputTokens: 40))
    }
}
