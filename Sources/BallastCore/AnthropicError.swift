import JSON
/// An error in the Anthropic wire shape: `{"type":"error","error":{"type":…,"message":…}}`.
public struct AnthropicError: Error, Sendable, Equatable {
    public var type: AnthropicErrorType
    public var message: String
    /// The HTTP status; defaults to the type's own (529 may travel as 503 where configured).
    public var status: Int

    public init(_ type: AnthropicErrorType, _ message: String, status: Int? = nil) {
        self.type = type
        self.message = message
        self.status = status ?? type.status
    }

    /// The JSON body, as the API writes it.
    public var jsonBody: String {
        #"{"type":"error","error":{"type":"\#(type.rawValue)","message":"\#(JSONText.escape(message))"}}"#
    }

    /// The same error as an SSE `error` event, for failures after a stream has begun.
    public var sseEvent: String {
        "event: error\ndata: \(jsonBody)\n\n"
    }
}
