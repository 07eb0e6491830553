import BallastCore
import JSON

/// Writes the bodies of the Messages API by hand: the JSON of a whole message and the
/// server-sent events of a streamed one, in the real API's field order.
enum MessageEncoder {
    static func message(
        id: String, model: String, text: String, stopReason: String, inputTokens: Int,
        outputTokens: Int
    ) -> String {
        #"{"id":"\#(id)","type":"message","role":"assistant","model":"\#(JSONText.escape(model))","#
            + #""content":[{"type":"text","text":"\#(JSONText.escape(text))"}],"#
            + #""stop_reason":"\#(stopReason)","stop_sequence":null,"#
            + #""usage":{"input_tokens":\#(inputTokens),"output_tokens":\#(outputTokens)}}"#
    }

    static func countTokens(_ inputTokens: Int) -> String {
        #"{"input_tokens":\#(inputTokens)}"#
    }

    // MARK: Server-sent events

    static func event(_ name: String, _ json: String) -> String {
        "event: \(name)\ndata: \(json)\n\n"
    }

    static func messageStart(id: String, model: String, inputTokens: Int) -> String {
        event(
            "message_start",
            #"{"type":"message_start","message":{"id":"\#(id)","type":"message","#
                + #""role":"assistant","model":"\#(JSONText.escape(model))","content":[],"stop_reason":null,"#
                + #""stop_sequence":null,"usage":{"input_tokens":\#(inputTokens),"output_tokens":1}}}"#)
    }

    static let contentBlockStart = event(
        "content_block_start",
        #"{"type":"content_block_start","index":0,"content_block":{"type":"text","text":""}}"#)

    static let ping = event("ping", #"{"type": "ping"}"#)

    static func textDelta(_ text: String) -> String {
        event(
            "content_block_delta",
            #"{"type":"content_block_delta","index":0,"delta":{"type":"text_delta","text":"\#(JSONText.escape(text))"}}"#)
    }

    static let contentBlockStop = event("content_block_stop", #"{"type":"content_block_stop","index":0}"#)

    static func messageDelta(stopReason: String, outputTokens: Int) -> String {
        event(
            "message_delta",
            #"{"type":"message_delta","delta":{"stop_reason":"\#(stopReason)","stop_sequence":null},"#
                + #""usage":{"output_tokens":\#(outputTokens)}}"#)
    }

    static let messageStop = event("message_stop", #"{"type":"message_stop"}"#)

    static let overloadedError = AnthropicError(.overloaded, "Overloaded").sseEvent
}
