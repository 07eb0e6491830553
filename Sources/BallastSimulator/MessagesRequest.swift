import BallastCore
import JSON

/// A validated `POST /v1/messages` (or `count_tokens`) body: what the simulator needs to
/// answer it, or the 400 the real API would give.
struct MessagesRequest: Sendable, Equatable {
    var model: String
    /// 0 for `count_tokens`, which takes no `max_tokens`.
    var maxTokens: Int
    var stream: Bool
    /// Estimated input tokens: about a quarter of the characters of message and system text.
    var inputTokens: Int
    /// A stable hash of model, messages and max_tokens: the seed of the reply text, so the
    /// same request gets the same reply, streamed or not, in any run.
    var contentHash: UInt64

    static func parse(_ body: [UInt8], requireMaxTokens: Bool = true) -> Result<MessagesRequest, AnthropicError> {
        func invalid(_ message: String) -> Result<MessagesRequest, AnthropicError> {
            .failure(AnthropicError(.invalidRequest, message))
        }
        if body.isEmpty { return invalid("the request body is empty; expected a JSON object") }
        let root: JSONValue
        do {
            root = try JSONParser.parse(body)
        } catch {
            return invalid("the request body is not valid JSON: \(error.description) at byte \(error.offset)")
        }
        guard case .object = root else { return invalid("the request body must be a JSON object, not \(root.typeName)") }

        guard let modelValue = root["model"] else { return invalid("model: Field required") }
        guard let model = modelValue.stringValue else { return invalid("model: Input should be a valid string") }
        if model.isEmpty { return invalid("model: String should have at least 1 character") }

        var maxTokens = 0
        if requireMaxTokens {
            guard let value = root["max_tokens"] else { return invalid("max_tokens: Field required") }
            guard let tokens = value.intValue else { return invalid("max_tokens: Input should be a valid integer") }
            if tokens < 1 { return invalid("max_tokens: Input should be greater than or equal to 1") }
            maxTokens = tokens
        }

        var stream = false
        if let value = root["stream"], value != .null {
            guard let flag = value.boolValue else { return invalid("stream: Input should be a valid boolean") }
            stream = flag
        }

        guard let messagesValue = root["messages"] else { return invalid("messages: Field required") }
        guard let messages = messagesValue.arrayValue else { return invalid("messages: Input should be a valid list") }
        if messages.isEmpty { return invalid("messages: at least one message is required") }
        var characters = 0
        for (index, message) in messages.enumerated() {
            guard case .object = message else { return invalid("messages.\(index): Input should be a valid dictionary") }
            guard let role = message["role"]?.stringValue, role == "user" || role == "assistant" else {
                return invalid("messages.\(index).role: Input should be 'user' or 'assistant'")
            }
            guard let content = message["content"] else { return invalid("messages.\(index).content: Field required") }
            switch content {
            case .string, .array: characters += Self.textCharacters(content)
            default: return invalid("messages.\(index).content: Input should be a valid string or a list of content blocks")
            }
        }
        if let system = root["system"], system != .null {
            switch system {
            case .string, .array: characters += Self.textCharacters(system)
            default: return invalid("system: Input should be a valid string or a list of text blocks")
            }
        }

        var hash = StableHash()
        hash.feed(model)
        hash.feed(UInt64(maxTokens))
        messagesValue.feed(into: &hash)
        return .success(
            MessagesRequest(
                model: model, maxTokens: maxTokens, stream: stream,
                inputTokens: Self.estimateTokens(characters: characters),
                contentHash: hash.value))
    }

    /// About four characters per token, and never zero, like `count_tokens` on short text.
    static func estimateTokens(characters: Int) -> Int {
        max(1, (characters + 3) / 4)
    }

    private static let nonTextKeys: Set<String> = ["type", "id", "tool_use_id", "media_type", "data", "cache_control"]

    /// The characters of every string inside `value`: message text and text blocks.
    static func textCharacters(_ value: JSONValue) -> Int {
        switch value {
        case .string(let text): text.unicodeScalars.count
        case .array(let items): items.reduce(0) { $0 + textCharacters($1) }
        case .object(let members):
            members.reduce(0) { total, member in
                // Block metadata and base64 payloads are not text the model reads as such.
                Self.nonTextKeys.contains(member.key) ? total : total + textCharacters(member.value)
            }
        default: 0
        }
    }
}
