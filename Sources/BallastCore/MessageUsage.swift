/// Token counts of a Messages answer, read from its JSON's top-level `usage` object or from
/// its stream (`message_start.message.usage`, then each `message_delta.usage`).
///
/// The counts are what the upstream bills: input, output, prompt-cache creation and reads
/// (priced differently, and most of the input of agentic workloads), and server tool calls.
/// `state` says whether they can be trusted: an answer with no usage, a count that is not a
/// non-negative integer, or a stream cut before its final `message_delta` is unknown, never
/// zero.
public struct MessageUsage: Sendable, Equatable {
    public enum State: String, Sendable, Equatable {
        /// No usage seen (yet).
        case none
        /// A stream's `message_start` was seen, its final `message_delta` not (yet): the input
        /// counts are real, the output is not final.
        case partial
        /// The answer's usage, complete.
        case complete
        /// A usage object with a negative, fractional, oversized or non-numeric count.
        case invalid
    }

    public var inputTokens: Int
    public var outputTokens: Int
    public var cacheCreationInputTokens: Int
    public var cacheReadInputTokens: Int
    /// `usage.server_tool_use.web_search_requests` and `web_fetch_requests`.
    public var webSearchRequests: Int
    public var webFetchRequests: Int
    public var state: State

    public init(
        inputTokens: Int = 0, outputTokens: Int = 0, cacheCreationInputTokens: Int = 0, cacheReadInputTokens: Int = 0,
        webSearchRequests: Int = 0, webFetchRequests: Int = 0, state: State = .complete
    ) {
        self.inputTokens = inputTokens
        self.outputTokens = outputTokens
        self.cacheCreationInputTokens = cacheCreationInputTokens
        self.cacheReadInputTokens = cacheReadInputTokens
        self.webSearchRequests = webSearchRequests
        self.webFetchRequests = webFetchRequests
        self.state = state
    }

    /// Nothing read yet.
    public static let unknown = MessageUsage(state: .none)

    /// True when the counts are the answer's complete usage.
    public var isKnown: Bool { state == .complete }

    /// Every token billed: input, output and both kinds of cache tokens.
    public var totalTokens: Int { inputTokens + outputTokens + cacheCreationInputTokens + cacheReadInputTokens }

    /// From a non-streaming answer's body: its top-level `usage` object only (a `tool_use`
    /// block's input may hold an `input_tokens` key of its own).
    public static func fromMessageBody(_ body: [UInt8]) -> MessageUsage {
        guard let usage = UsageReader.member("usage", of: body) else { return .unknown }
        var result = MessageUsage(state: .none)
        result.merge(usage, complete: true)
        return result
    }

    /// Folds one stream event in: `message_start` carries the input counts, each
    /// `message_delta` the running totals (output, and on current models the input counts
    /// again). Only a `message_delta` makes the usage complete.
    public mutating func apply(_ event: SSEEvent) {
        guard state != .invalid else { return }
        switch event.name {
        case "message_start":
            let bytes = Array(event.data.utf8)
            guard let message = UsageReader.member("message", of: bytes),
                let usage = UsageReader.member("usage", of: message)
            else { return }
            merge(usage, complete: false)
        case "message_delta":
            guard let usage = UsageReader.member("usage", of: Array(event.data.utf8)) else { return }
            merge(usage, complete: true)
        default:
            break
        }
    }

    /// Reads the fields of a `usage` object's bytes; fields present replace the counts held
    /// (the API's figures are cumulative).
    private mutating func merge(_ usage: ArraySlice<UInt8>, complete: Bool) {
        guard let fields = UsageReader.fields(of: usage) else {
            state = .invalid
            return
        }
        var sawOutput = false
        for (key, value) in fields {
            switch key {
            case "input_tokens", "output_tokens", "cache_creation_input_tokens", "cache_read_input_tokens":
                if value == .null, key.hasPrefix("cache_") { continue }  // null: no cache use
                guard case .count(let count) = value else {
                    state = .invalid
                    return
                }
                switch key {
                case "input_tokens": inputTokens = count
                case "output_tokens":
                    outputTokens = count
                    sawOutput = true
                case "cache_creation_input_tokens": cacheCreationInputTokens = count
                default: cacheReadInputTokens = count
                }
            case "server_tool_use":
                guard case .object(let bytes) = value else {
                    if value == .null { continue }
                    state = .invalid
                    return
                }
                guard let tools = UsageReader.fields(of: bytes) else {
                    state = .invalid
                    return
                }
                for (tool, count) in tools {
                    guard tool == "web_search_requests" || tool == "web_fetch_requests" else { continue }
                    guard case .count(let value) = count else {
                        if count == .null { continue }
                        state = .invalid
                        return
                    }
                    if tool == "web_search_requests" { webSearchRequests = value } else { webFetchRequests = value }
                }
            default:
                break  // cache_creation breakdown, service_tier, ...: not counts Ballast prices
            }
        }
        if complete {
            // An answer's usage always carries its output count; without one it is not usage.
            state = sawOutput || state == .partial ? .complete : .invalid
        } else if state == .none {
            state = .partial
        }
    }
}
