public import BallastCore
public import JSON

/// Turns a complete Message into the server-sent events the API would have streamed for it,
/// so a streaming request can be answered from a cached (non-streaming) answer.
///
/// The events, as the real API sends them:
/// `message_start` (the message with empty `content`, null `stop_reason`/`stop_sequence`
/// and `usage.output_tokens` 1, or 0 for an empty answer), then per content block
/// `content_block_start` (the block emptied), its deltas, `content_block_stop`, with a `ping`
/// after the first block starts, then `message_delta` (`stop_reason`, `stop_sequence`,
/// `usage.output_tokens`) and `message_stop`.
///
/// Deltas: text in chunks of 20-40 characters (`text_delta`, broken after a space when
/// there is one, never inside a character), `citations_delta` per citation, `thinking_delta`
/// chunks then one `signature_delta`, tool inputs as `input_json_delta` chunks of their
/// JSON. Other block types (`redacted_thinking`, server tool results, …) arrive whole in
/// their `content_block_start`, as the API sends them.
///
/// `MessageAssembler` turns these events back into an equal Message (tested both ways).
public struct StreamSynthesizer: Sendable {
    /// Text and JSON chunks hold at most this many characters…
    public var maxChunkCharacters: Int
    /// …and end after a space once they hold at least this many.
    public var minChunkCharacters: Int

    public init(minChunkCharacters: Int = 20, maxChunkCharacters: Int = 40) {
        self.maxChunkCharacters = max(1, maxChunkCharacters)
        self.minChunkCharacters = max(1, min(minChunkCharacters, self.maxChunkCharacters))
    }

    /// The stream body (`event: …\ndata: …\n\n` …) for a cached Message body.
    public func streamBody(forMessage body: [UInt8]) throws(StreamSynthesisError) -> [UInt8] {
        SSEEvent.encode(try events(forMessage: body))
    }

    /// The events for a cached Message body.
    public func events(forMessage body: [UInt8]) throws(StreamSynthesisError) -> [SSEEvent] {
        let message: JSONValue
        do throws(JSONParseError) {
            message = try JSONParser.parse(body)
        } catch {
            throw .invalidJSON(error)
        }
        return try events(for: message)
    }

    /// The events for a Message.
    public func events(for message: JSONValue) throws(StreamSynthesisError) -> [SSEEvent] {
        guard message["type"]?.stringValue == "message", let content = message["content"]?.arrayValue else {
            throw .notAMessage
        }
        var events: [SSEEvent] = []
        func emit(_ name: String, _ members: [(key: String, value: JSONValue)]) {
            let data = JSONValue.object([(key: "type", value: .string(name))] + members)
            events.append(SSEEvent(name: name, data: data.serializedString()))
        }

        let outputTokens = message["usage"]?["output_tokens"]?.intValue ?? 0
        var opening = message
        opening.set("content", .array([]))
        opening.set("stop_reason", .null)
        opening.set("stop_sequence", .null)
        if var usage = message["usage"], case .object = usage {
            usage.set("output_tokens", .integer(min(outputTokens, 1)))
            opening.set("usage", usage)
        }
        emit("message_start", [(key: "message", value: opening)])

        for (position, block) in content.enumerated() {
            let index: (key: String, value: JSONValue) = (key: "index", value: .integer(position))
            let (startBlock, deltas) = split(block)
            emit("content_block_start", [index, (key: "content_block", value: startBlock)])
            if position == 0 { events.append(Self.ping) }
            for delta in deltas { emit("content_block_delta", [index, (key: "delta", value: delta)]) }
            emit("content_block_stop", [index])
        }
        if content.isEmpty { events.append(Self.ping) }

        let delta: [(key: String, value: JSONValue)] = [
            (key: "stop_reason", value: message["stop_reason"] ?? .null),
            (key: "stop_sequence", value: message["stop_sequence"] ?? .null),
        ]
        var closing: [(key: String, value: JSONValue)] = [(key: "delta", value: .object(delta))]
        if message["usage"] != nil {
            closing.append((key: "usage", value: .object([(key: "output_tokens", value: .integer(outputTokens))])))
        }
        emit("message_delta", closing)
        emit("message_stop", [])
        return events
    }

    private static let ping = SSEEvent(name: "ping", data: #"{"type":"ping"}"#)

    /// A block as its `content_block_start` carries it, and the deltas that fill it.
    private func split(_ block: JSONValue) -> (start: JSONValue, deltas: [JSONValue]) {
        func delta(_ type: String, _ field: String, _ value: JSONValue) -> JSONValue {
            .object([(key: "type", value: .string(type)), (key: field, value: value)])
        }
        var start = block
        var deltas: [JSONValue] = []
        switch block["type"]?.stringValue {
        case "text":
            guard let text = block["text"]?.stringValue else { return (block, []) }
            start.set("text", .string(""))
            if let citations = block["citations"]?.arrayValue, !citations.isEmpty {
                start.set("citations", .array([]))
                deltas += citations.map { delta("citations_delta", "citation", $0) }
            }
            deltas += chunks(text).map { delta("text_delta", "text", .string($0)) }
        case "thinking":
            guard let thinking = block["thinking"]?.stringValue else { return (block, []) }
            start.set("thinking", .string(""))
            start.remove("signature")
            deltas += chunks(thinking).map { delta("thinking_delta", "thinking", .string($0)) }
            if let signature = block["signature"], case .string = signature {
                deltas.append(delta("signature_delta", "signature", signature))
            }
        case "tool_use", "server_tool_use", "mcp_tool_use":
            guard let input = block["input"], case .object(let members) = input else { return (block, []) }
            start.set("input", .object([]))
            if !members.isEmpty {
                deltas += chunks(input.serializedString()).map { delta("input_json_delta", "partial_json", .string($0)) }
            }
        default:
            break
        }
        return (start, deltas)
    }

    /// `text` in chunks of `minChunkCharacters`…`maxChunkCharacters` characters, each ended
    /// after a whitespace when one falls in that range. Joined, they give `text` back exactly.
    func chunks(_ text: String) -> [String] {
        var result: [String] = []
        var start = text.startIndex
        while start < text.endIndex {
            var end = start
            var count = 0
            var lastBreak: String.Index?
            while end < text.endIndex, count < maxChunkCharacters {
                let character = text[end]
                end = text.index(after: end)
                count += 1
                if count >= minChunkCharacters, character.isWhitespace { lastBreak = end }
            }
            if end < text.endIndex, let lastBreak { end = lastBreak }
            result.append(String(text[start..<end]))
            start = end
        }
        return result
    }
}
