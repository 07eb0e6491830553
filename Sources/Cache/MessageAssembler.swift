public import BallastCore
public import JSON

/// Turns the events of a streamed Messages answer back into the Message the same request
/// would have got without `stream: true`, so a streamed answer can be cached and served to
/// a later plain request (and re-streamed by `StreamSynthesizer`).
///
/// Feed it every event as it is relayed (`apply`), then, after the stream ended, ask for
/// `assembledBody()`:
/// - `message_start` gives the message (id, type, role, model, usage with the input tokens);
/// - `content_block_start` opens block `index` (blocks must start in order);
/// - `content_block_delta` appends: `text_delta` to `text`, `thinking_delta` to `thinking`,
///   `signature_delta` to `signature`, `input_json_delta` fragments to the tool input (parsed
///   when the block is built), `citations_delta` to `citations`;
/// - `message_delta` sets `stop_reason`, `stop_sequence` (and any other delta field) and
///   merges its `usage` (the final `output_tokens`) into the message's usage; `null` usage
///   values never overwrite a number;
/// - `message_stop` completes it; `ping` and event types it does not know are ignored, as
///   the API asks of clients; an `error` event or an unknown delta type makes the answer
///   uncacheable (`failure`).
///
/// Memory is bounded by `maxBytes` of event data: a longer stream is given up on (and its
/// memory released) while the gateway goes on relaying it.
public struct MessageAssembler: Sendable {
    /// Event data beyond this many bytes makes the stream uncacheable.
    public let maxBytes: Int
    private var start: JSONValue?
    private var blocks: [ContentBlockBuilder] = []
    private var bytes = 0
    private var stopped = false
    /// Why the stream cannot be assembled; once set, further events are ignored.
    public private(set) var failure: MessageAssemblyError?

    public init(maxBytes: Int = 8 << 20) {
        self.maxBytes = maxBytes
    }

    /// True once `message_stop` arrived and nothing went wrong.
    public var isComplete: Bool { stopped && failure == nil }

    /// Assembles a whole recorded stream.
    public static func assemble(_ events: [SSEEvent], maxBytes: Int = 8 << 20) throws(MessageAssemblyError) -> [UInt8] {
        var assembler = MessageAssembler(maxBytes: maxBytes)
        for event in events { assembler.apply(event) }
        return try assembler.assembledBody()
    }

    /// Assembles a whole recorded stream given as its bytes (`event: …\ndata: …\n\n`).
    public static func assemble(streamBytes: [UInt8], maxBytes: Int = 8 << 20) throws(MessageAssemblyError) -> [UInt8] {
        var scanner = SSEScanner(maxEventBytes: max(maxBytes, 1))
        return try assemble(scanner.feed(streamBytes), maxBytes: maxBytes)
    }

    /// Folds one event in.
    public mutating func apply(_ event: SSEEvent) {
        guard failure == nil, !stopped else { return }
        do throws(MessageAssemblyError) {
            try handle(event)
        } catch {
            failure = error
            start = nil
            blocks = []
        }
    }

    /// The Message as JSON, with its content blocks in order.
    /// - Throws: `failure`, or `.incomplete` before `message_stop`.
    public func assembledMessage() throws(MessageAssemblyError) -> JSONValue {
        if let failure { throw failure }
        guard stopped, var message = start else { throw .incomplete }
        var content: [JSONValue] = []
        content.reserveCapacity(blocks.count)
        for block in blocks { content.append(try block.build()) }
        message.set("content", .array(content))
        return message
    }

    /// `assembledMessage()` serialised: the body of the equivalent non-streaming answer.
    public func assembledBody() throws(MessageAssemblyError) -> [UInt8] {
        try assembledMessage().serialized()
    }

    // MARK: Events

    private static let messageEvents: Set<String> = [
        "message_start", "content_block_start", "content_block_delta", "content_block_stop", "message_delta",
        "message_stop",
    ]

    private mutating func handle(_ event: SSEEvent) throws(MessageAssemblyError) {
        if event.name == "error" {
            let type = (try? JSONParser.parse(event.data))?["error"]?["type"]?.stringValue ?? "error"
            throw .streamError(type)
        }
        guard Self.messageEvents.contains(event.name) else { return }
        bytes += event.data.utf8.count
        guard bytes <= maxBytes else { throw .tooLarge }
        let data: JSONValue
        do throws(JSONParseError) {
            data = try JSONParser.parse(event.data)
        } catch {
            throw .invalidJSON(event: event.name)
        }
        guard case .object = data else { throw .invalidJSON(event: event.name) }

        switch event.name {
        case "message_start":
            guard start == nil else { throw .unexpectedEvent("a second message_start") }
            guard let message = data["message"], case .object = message else {
                throw .unexpectedEvent("message_start without a message")
            }
            start = message
        case "content_block_start":
            guard start != nil else { throw .unexpectedEvent("content_block_start before message_start") }
            guard let index = data["index"]?.intValue, index == blocks.count else {
                throw .unexpectedEvent("content_block_start out of order")
            }
            guard let block = data["content_block"], case .object = block else {
                throw .unexpectedEvent("content_block_start without a block")
            }
            blocks.append(ContentBlockBuilder(block: block))
        case "content_block_delta":
            let index = try openBlock(data, event: event.name)
            try applyDelta(data["delta"], to: index)
        case "content_block_stop":
            let index = try openBlock(data, event: event.name)
            blocks[index].stopped = true
        case "message_delta":
            guard var message = start else { throw .unexpectedEvent("message_delta before message_start") }
            for (key, value) in data["delta"]?.objectMembers ?? [] { message.set(key, value) }
            if let usage = data["usage"]?.objectMembers {
                var merged = message["usage"] ?? .object([])
                for (key, value) in usage where !(value.isNull && merged[key] != nil) { merged.set(key, value) }
                message.set("usage", merged)
            }
            start = message
        default:  // message_stop
            guard start != nil else { throw .unexpectedEvent("message_stop before message_start") }
            guard blocks.allSatisfy(\.stopped) else { throw .unexpectedEvent("message_stop with a block still open") }
            stopped = true
        }
    }

    /// The index of the open block an event refers to.
    private func openBlock(_ data: JSONValue, event: String) throws(MessageAssemblyError) -> Int {
        guard let index = data["index"]?.intValue, blocks.indices.contains(index), !blocks[index].stopped else {
            throw .unexpectedEvent("\(event) for a block that is not open")
        }
        return index
    }

    private mutating func applyDelta(_ delta: JSONValue?, to index: Int) throws(MessageAssemblyError) {
        guard let delta, let type = delta["type"]?.stringValue else {
            throw .unexpectedEvent("content_block_delta without a delta type")
        }
        func text(_ field: String) throws(MessageAssemblyError) -> String {
            guard let value = delta[field]?.stringValue else { throw .unexpectedEvent("\(type) without '\(field)'") }
            return value
        }
        switch type {
        case "text_delta":
            blocks[index].append(try text("text"), to: "text")
        case "thinking_delta":
            blocks[index].append(try text("thinking"), to: "thinking")
        case "signature_delta":
            blocks[index].append(try text("signature"), to: "signature")
        case "input_json_delta":
            blocks[index].appendJSON(try text("partial_json"))
        case "citations_delta":
            guard let citation = delta["citation"] else { throw .unexpectedEvent("citations_delta without 'citation'") }
            blocks[index].appendCitation(citation)
        default:
            throw .unknownDelta(type)
        }
    }
}
