import BallastCore
@testable import Cache
import Testing
@testable import JSON
import FoundationEssentials

@Suite("Message assembler and stream synthesizer")
struct MessageStreamTests {
    /// A tool-use stream as the API sends it (shape from the Messages streaming docs): field
    /// order of the real `message_start`, a ping, text in small deltas, tool input in JSON
    /// fragments starting with an empty one.
    static let recordedToolStream = """
        event: message_start
        data: {"type":"message_start","message":{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":2},"content":[],"stop_reason":null}}

        event: content_block_start
        data: {"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}

        event: ping
        data: {"type": "ping"}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"Okay"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":", let's check the weather for San Francisco, CA:"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":0}

        event: content_block_start
        data: {"type":"content_block_start","index":1,"content_block":{"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather","input":{}}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":""}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{\\"location\\":"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":" \\"San Fra"}}

        event: content_block_delta
        data: {"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"ncisco, CA\\", \\"unit\\": \\"fahrenheit\\"}"}}

        event: content_block_stop
        data: {"type":"content_block_stop","index":1}

        event: message_delta
        data: {"type":"message_delta","delta":{"stop_reason":"tool_use","stop_sequence":null},"usage":{"output_tokens":89}}

        event: message_stop
        data: {"type":"message_stop"}


        """

    static let expectedToolMessage = """
        {"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model":"claude-sonnet-4-5-20250929",
         "content":[{"type":"text","text":"Okay, let's check the weather for San Francisco, CA:"},
                    {"type":"tool_use","id":"toolu_01T1x1fJ34qAmk2tNTrN7Up6","name":"get_weather",
                     "input":{"location":"San Francisco, CA","unit":"fahrenheit"}}],
         "stop_reason":"tool_use","stop_sequence":null,"usage":{"input_tokens":472,"output_tokens":89}}
        """

    /// A Message with every kind of block the synthesizer treats differently.
    static let richMessage = """
        {"id":"msg_01XFDUDYJgAACzvnptvVoYEL","type":"message","role":"assistant","model":"claude-opus-4-1",
         "content":[
           {"type":"thinking","thinking":"The user wants the weather. I should call the tool, then summarise what it says in one sentence.","signature":"EqQBCgIYAhIM1gbcDa9GJwZA2b3hGgxBdjrkzLoky3dl1pkiMOYds"},
           {"type":"redacted_thinking","data":"EmwKAhgBEgy3va3pzix/LafPsn4aDFIT2Xlxh0L5L8rLVyIwxtE3rAFBa8cr3qpP"},
           {"type":"text","text":"Héllo 👋🏽 wörld — e\\u0301 combining, line one\\nline two\\ttabbed, \\"quoted\\", and a fairly long tail so that the text is split into several chunks of about thirty characters each.",
            "citations":[{"type":"char_location","cited_text":"line one","document_index":0,"document_title":"Doc","start_char_index":0,"end_char_index":8}]},
           {"type":"tool_use","id":"toolu_01A09q90qw90lq917835lq9","name":"get_weather","input":{"location":"San Francisco, CA","units":["c","f"],"days":3,"nested":{"deep":[1.5,null,true]}}},
           {"type":"server_tool_use","id":"srvtoolu_01","name":"web_search","input":{"query":"weather sf"}},
           {"type":"web_search_tool_result","tool_use_id":"srvtoolu_01","content":[{"type":"web_search_result","url":"https://example.com","title":"Example","encrypted_content":"abc","page_age":null}]},
           {"type":"tool_use","id":"toolu_02","name":"no_arguments","input":{}},
           {"type":"text","text":""}
         ],
         "stop_reason":"tool_use","stop_sequence":null,
         "usage":{"input_tokens":2095,"cache_creation_input_tokens":0,"cache_read_input_tokens":1024,"output_tokens":503,"service_tier":"standard"}}
        """

    private func roundTrip(_ text: String) throws -> (events: [SSEEvent], back: JSONValue, original: JSONValue) {
        let original = try JSONParser.parse(text)
        let events = try StreamSynthesizer().events(forMessage: Array(text.utf8))
        // Through the wire format, as a client would read it.
        var scanner = SSEScanner()
        let read = scanner.feed(SSEEvent.encode(events))
        #expect(read == events)
        let back = try JSONParser.parse(try MessageAssembler.assemble(read))
        return (events, back, original)
    }

    @Test("assembles a recorded tool-use stream into the non-streaming Message")
    func assembleRecorded() throws {
        let body = try MessageAssembler.assemble(streamBytes: Array(Self.recordedToolStream.utf8))
        #expect(try JSONParser.parse(body) == JSONParser.parse(Self.expectedToolMessage))
        // Field order of the message is kept as the API sent it.
        #expect(String(decoding: body, as: UTF8.self).hasPrefix(#"{"id":"msg_014p7gG3wDgGV9EUtLvnow3U","type":"message","role":"assistant","model""#))
    }

    @Test("synthesize then assemble gives back an equal Message: text, thinking, citations, tools, opaque blocks")
    func roundTripRich() throws {
        let result = try roundTrip(Self.richMessage)
        #expect(result.back == result.original)
    }

    @Test("round trip of a simple text answer and of an empty answer")
    func roundTripSimple() throws {
        let simple =
            #"{"id":"msg_1","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"Hi!"}],"stop_reason":"end_turn","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":2}}"#
        let first = try roundTrip(simple)
        #expect(first.back == first.original)
        #expect(
            first.events.map(\.name) == [
                "message_start", "content_block_start", "ping", "content_block_delta",
                "content_block_stop", "message_delta", "message_stop",
            ])
        let empty =
            #"{"id":"msg_2","type":"message","role":"assistant","model":"m","content":[],"stop_reason":"max_tokens","stop_sequence":null,"usage":{"input_tokens":10,"output_tokens":0}}"#
        let second = try roundTrip(empty)
        #expect(second.back == second.original)
        #expect(second.events.map(\.name) == ["message_start", "ping", "message_delta", "message_stop"])
        let stopped =
            #"{"id":"msg_3","type":"message","role":"assistant","model":"m","content":[{"type":"text","text":"a"}],"stop_reason":"stop_sequence","stop_sequence":"STOP","usage":{"input_tokens":1,"output_tokens":1}}"#
        let third = try roundTrip(stopped)
        #expect(third.back == third.original)
    }

    @Test("the synthesized stream looks like the API's")
    func wellFormed() throws {
        let events = try StreamSynthesizer().events(forMessage: Array(Self.richMessage.utf8))
        let parsed = try events.map { try JSONParser.parse($0.data) }
        for (event, data) in zip(events, parsed) {
            #expect(data["type"]?.stringValue == event.name)  // every data object names its event
        }
        #expect(events.first?.name == "message_start")
        #expect(events[1].name == "content_block_start" && events[2].name == "ping")
        #expect(events.suffix(2).map(\.name) == ["message_delta", "message_stop"])

        let start = try #require(parsed.first?["message"])
        #expect(start["content"] == .array([]))
        #expect(start["stop_reason"] == .null)
        #expect(start["usage"]?["output_tokens"] == .integer(1))
        #expect(start["usage"]?["input_tokens"] == .integer(2095))
        let delta = try #require(parsed.last(where: { $0["type"]?.stringValue == "message_delta" }))
        #expect(delta["delta"]?["stop_reason"]?.stringValue == "tool_use")
        #expect(delta["usage"]?["output_tokens"] == .integer(503))

        // Block starts are emptied; indexes run in order; every start has its stop.
        var starts: [Int] = []
        var stops: [Int] = []
        for (event, data) in zip(events, parsed) {
            if event.name == "content_block_start" {
                starts.append(data["index"]?.intValue ?? -1)
                let block = try #require(data["content_block"])
                switch block["type"]?.stringValue {
                case "text": #expect(block["text"] == .string(""))
                case "thinking": #expect(block["thinking"] == .string("") && block["signature"] == nil)
                case "tool_use", "server_tool_use": #expect(block["input"] == .object([]))
                default: break
                }
            }
            if event.name == "content_block_stop" { stops.append(data["index"]?.intValue ?? -1) }
        }
        #expect(starts == Array(0..<8))
        #expect(stops == starts)

        // Text deltas are 20-40 characters, except the last piece of a text.
        let textDeltas = zip(events, parsed).compactMap { event, data -> String? in
            event.name == "content_block_delta" ? data["delta"]?["text"]?.stringValue : nil
        }
        #expect(textDeltas.count >= 4)
        for piece in textDeltas.dropLast() { #expect((20...40).contains(piece.count)) }
        #expect(textDeltas.joined() == (try JSONParser.parse(Self.richMessage))["content"]?.arrayValue?[2]["text"]?.stringValue)
    }

    @Test("a cached body that is not a Message cannot be re-streamed")
    func notAMessage() {
        #expect(throws: StreamSynthesisError.notAMessage) {
            try StreamSynthesizer().events(forMessage: Array(#"{"input_tokens":12}"#.utf8))
        }
        #expect(throws: StreamSynthesisError.self) { try StreamSynthesizer().events(forMessage: Array("nope".utf8)) }
    }

    @Test("streams that must not be cached")
    func failures() throws {
        let lines = Self.recordedToolStream.components(separatedBy: "\n\n").filter { !$0.isEmpty }
        func events(_ blocks: [String]) -> [SSEEvent] {
            var scanner = SSEScanner()
            return scanner.feed(Array((blocks.joined(separator: "\n\n") + "\n\n").utf8))
        }
        let all = events(lines)
        #expect(all.count == 14)

        // Cut short: no message_stop.
        var assembler = MessageAssembler()
        for event in all.dropLast() { assembler.apply(event) }
        let cut = assembler
        #expect(!cut.isComplete)
        #expect(throws: MessageAssemblyError.incomplete) { try cut.assembledBody() }

        // An error event mid-stream.
        var errored = MessageAssembler()
        for event in all.prefix(5) { errored.apply(event) }
        errored.apply(SSEEvent(name: "error", data: #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#))
        for event in all.dropFirst(5) { errored.apply(event) }
        let failed = errored
        #expect(failed.failure == .streamError("overloaded_error"))
        #expect(throws: MessageAssemblyError.streamError("overloaded_error")) { try failed.assembledBody() }

        // A delta type we do not know.
        var unknown = all
        unknown[3] = SSEEvent(
            name: "content_block_delta",
            data: #"{"type":"content_block_delta","index":0,"delta":{"type":"hologram_delta","x":1}}"#)
        #expect(throws: MessageAssemblyError.unknownDelta("hologram_delta")) { try MessageAssembler.assemble(unknown) }

        // Blocks out of order.
        var skipped = all
        skipped[1] = SSEEvent(
            name: "content_block_start",
            data: #"{"type":"content_block_start","index":1,"content_block":{"type":"text","text":""}}"#)
        #expect(throws: MessageAssemblyError.self) { try MessageAssembler.assemble(skipped) }

        // Bad tool JSON.
        var broken = all
        broken[9] = SSEEvent(
            name: "content_block_delta",
            data: #"{"type":"content_block_delta","index":1,"delta":{"type":"input_json_delta","partial_json":"{{"}}"#)
        #expect(throws: MessageAssemblyError.self) { try MessageAssembler.assemble(broken) }

        // Too large.
        #expect(throws: MessageAssemblyError.tooLarge) { try MessageAssembler.assemble(all, maxBytes: 500) }

        // Unknown event types are ignored, as the API asks.
        var extra = all
        extra.insert(SSEEvent(name: "future_event", data: "whatever"), at: 4)
        #expect(try JSONParser.parse(MessageAssembler.assemble(extra)) == JSONParser.parse(Self.expectedToolMessage))
    }

    @Test("chunks join back exactly and never split a character")
    func chunking() {
        let synthesizer = StreamSynthesizer()
        let texts = [
            "", "short", String(repeating: "👩‍👩‍👧‍👦", count: 100), String(repeating: "word ", count: 50),
            "no-spaces-" + String(repeating: "x", count: 95), "e\u{301}" + String(repeating: "e\u{301} ", count: 30),
        ]
        for text in texts {
            let pieces = synthesizer.chunks(text)
            #expect(pieces.joined() == text)
            #expect(pieces.allSatisfy { !$0.isEmpty && $0.count <= 40 })
            #expect(pieces.dropLast().allSatisfy { $0.count >= 20 })
        }
    }
}
