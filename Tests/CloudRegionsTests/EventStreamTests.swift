import BallastCore
import CloudRegions
import Crypto
import Foundation
import Testing

@Suite struct EventStreamTests {
    /// Made by Tests/e2e/eventstream.py (Python's struct and zlib.crc32), not by Ballast:
    /// a `chunk` carrying `{"type": "message_stop"}`, then a `throttlingException`.
    static let pythonChunk = Hex.decode(
        "000000880000004b05babc220b3a6576656e742d747970650700056368756e6b0d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d747970650700056576656e747b226279746573223a202265794a306558426c496a6f67496d316c63334e685a3256666333527663434a39227d11dfd5fd"
    )!
    static let pythonException = Hex.decode(
        "0000009100000061b3f180070f3a657863657074696f6e2d747970650700137468726f74746c696e67457863657074696f6e0d3a636f6e74656e742d747970650700106170706c69636174696f6e2f6a736f6e0d3a6d6573736167652d74797065070009657863657074696f6e7b226d657373616765223a2022546f6f206d616e79207265717565737473227d898cacc1"
    )!

    @Test func decodesFramesOfAnIndependentEncoder() throws {
        var decoder = EventStreamDecoder()
        let messages = try decoder.feed(Self.pythonChunk + Self.pythonException)
        #expect(messages.count == 2)
        #expect(messages[0].string(":event-type") == "chunk")
        #expect(BedrockStreamRelay.relay(messages[0]) == .event(name: "message_stop", data: Array(#"{"type": "message_stop"}"#.utf8)))
        #expect(
            String(decoding: BedrockStreamRelay.sse(BedrockStreamRelay.relay(messages[0])), as: UTF8.self)
                == "event: message_stop\ndata: {\"type\": \"message_stop\"}\n\n")
        guard case .error(let error) = BedrockStreamRelay.relay(messages[1]) else {
            Issue.record("an exception frame is an error event")
            return
        }
        #expect(error.type == .rateLimit)
        #expect(error.message.contains("Too many requests"))
        // Ballast's encoder writes the same bytes for the same message.
        #expect(EventStreamEncoder.encode(messages[0]) == Self.pythonChunk)
    }

    @Test func decodesWhateverTheChunkBoundaries() throws {
        let stream = Self.pythonChunk + Self.pythonException + Self.pythonChunk
        for size in [1, 2, 3, 7, 12, 13, 100, stream.count] {
            var decoder = EventStreamDecoder()
            var messages: [EventStreamMessage] = []
            var offset = 0
            while offset < stream.count {
                let end = min(stream.count, offset + size)
                messages += try decoder.feed(Array(stream[offset..<end]))
                offset = end
            }
            #expect(messages.count == 3, "chunks of \(size)")
            #expect(decoder.pendingBytes == 0)
            try decoder.finish()
        }
    }

    @Test func everyFlippedBitIsCaught() {
        // A flip in the lengths may first look like a longer message (truncated at the end);
        // a flip anywhere else fails a CRC. Either way nothing is returned as a message.
        for index in 0..<Self.pythonChunk.count {
            var bad = Self.pythonChunk
            bad[index] ^= 0x10
            var decoder = EventStreamDecoder()
            var caught = false
            do {
                let messages = try decoder.feed(bad)
                #expect(messages.isEmpty, "byte \(index)")
                try decoder.finish()
            } catch {
                caught = true
            }
            #expect(caught, "byte \(index)")
        }
    }

    @Test func errorsAreTheRightOnesAndSticky() throws {
        var bad = Self.pythonChunk
        bad[bad.count - 1] ^= 1
        var decoder = EventStreamDecoder()
        #expect(throws: EventStreamError.messageCRCMismatch) { try decoder.feed(bad) }
        #expect(throws: EventStreamError.messageCRCMismatch) { try decoder.feed(Self.pythonChunk) }

        var prelude = Self.pythonChunk
        prelude[9] ^= 1
        var second = EventStreamDecoder()
        #expect(throws: EventStreamError.preludeCRCMismatch) { try second.feed(prelude) }

        var truncated = EventStreamDecoder()
        #expect(try truncated.feed(Array(Self.pythonChunk.dropLast(5))).isEmpty)
        #expect(throws: EventStreamError.truncated(Self.pythonChunk.count - 5)) { try truncated.finish() }
    }

    @Test func aHugeDeclaredLengthIsRefusedFromThePrelude() {
        let huge = EventStreamEncoder.encode(headers: [], payload: [UInt8](repeating: 7, count: 5000))
        var decoder = EventStreamDecoder(maxMessageBytes: 4096)
        // Only the 12-byte prelude is needed to refuse it: nothing is buffered to its length.
        #expect(throws: EventStreamError.badLength(huge.count)) { try decoder.feed(Array(huge.prefix(12))) }
    }

    @Test func headerTypesRoundTrip() throws {
        let message = EventStreamMessage(
            headers: [
                ("t", .bool(true)), ("f", .bool(false)), ("b", .byte(-3)), ("s", .short(-300)), ("i", .int(70_000)),
                ("l", .long(-5_000_000_000)), ("x", .bytes([1, 2])), ("str", .string("é")), ("ts", .timestamp(1_700_000_000_000)),
                ("u", .uuid(Array(0..<16))),
            ], payload: Array("p".utf8))
        var decoder = EventStreamDecoder()
        #expect(try decoder.feed(EventStreamEncoder.encode(message)) == [message])
    }

    @Test func aChunkWithoutBase64BytesIsAnErrorNotContent() {
        let frame = EventStreamMessage(
            headers: [(":message-type", .string("event")), (":event-type", .string("chunk"))],
            payload: Array(#"{"nope":1}"#.utf8))
        guard case .error(let error) = BedrockStreamRelay.relay(frame) else {
            Issue.record("expected an error")
            return
        }
        #expect(error.type == .api)
        let notJSON = EventStreamMessage(headers: [], payload: Array(#"{"bytes":"bm90IGpzb24="}"#.utf8))
        guard case .error = BedrockStreamRelay.relay(notJSON) else {
            Issue.record("a chunk that is not a stream event must not be relayed")
            return
        }
    }

    @Test func multiLineJSONBecomesSeveralDataLines() {
        let sse = BedrockStreamRelay.sse(.event(name: "ping", data: Array("{\n\"type\": \"ping\"\n}".utf8)))
        #expect(String(decoding: sse, as: UTF8.self) == "event: ping\ndata: {\ndata: \"type\": \"ping\"\ndata: }\n\n")
    }
}
