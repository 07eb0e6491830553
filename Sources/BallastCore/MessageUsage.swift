/// Token counts of a Messages answer, read from its JSON (`usage`) or its stream
/// (`message_start`, `message_delta`).
public struct MessageUsage: Sendable, Equatable {
    public var inputTokens: Int
    public var outputTokens: Int

    public init(inputTokens: Int = 0, outputTokens: Int = 0) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
    }

    /// From a non-streaming answer's body; zeros when it has no usage.
    public static func fromMessageBody(_ body: [UInt8]) -> MessageUsage {
        MessageUsage(inputTokens: Self.number(after: "\"input_tokens\"", in: body) ?? 0,
                     outputTokens: Self.number(after: "\"output_tokens\"", in: body) ?? 0)
    }

    /// Folds one stream event in: `message_start` carries the input tokens,
    /// `message_delta` the running output count.
    public mutating func apply(_ event: SSEEvent) {
        let bytes = Array(event.data.utf8)
        switch event.name {
        case "message_start":
            if let input = Self.number(after: "\"input_tokens\"", in: bytes) { inputTokens = input }
            if let output = Self.number(after: "\"output_tokens\"", in: bytes) { outputTokens = output }
        case "message_delta":
            if let output = Self.number(after: "\"output_tokens\"", in: bytes) { outputTokens = output }
        default:
            break
        }
    }

    /// The integer after the first `key:`; a scan, not a parse: the fields are unique in
    /// these documents and this runs on every response.
    static func number(after key: String, in bytes: [UInt8]) -> Int? {
        let needle = Array(key.utf8)
        guard bytes.count > needle.count else { return nil }
        var index = 0
        while index + needle.count <= bytes.count {
            if bytes[index] == needle[0], bytes[index..<(index + needle.count)].elementsEqual(needle) {
                var cursor = index + needle.count
                while cursor < bytes.count, bytes[cursor] == 0x20 || bytes[cursor] == UInt8(ascii: ":") { cursor += 1 }
                var value = 0
                var digits = 0
                while cursor < bytes.count, bytes[cursor] >= 0x30, bytes[cursor] <= 0x39, digits < 12 {
                    value = value * 10 + Int(bytes[cursor] - 0x30)
                    cursor += 1
                    digits += 1
                }
                return digits > 0 ? value : nil
            }
            index += 1
        }
        return nil
    }
}
