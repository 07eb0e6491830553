public import BallastCore
import Foundation
import JSON

/// Turns Bedrock's event-stream messages into the Messages API's server-sent events.
///
/// A `chunk` event's payload is `{"bytes":"<base64>"}` and the bytes are one Messages stream
/// event (`{"type":"content_block_delta",...}`): it becomes `event: <type>` and `data: <json>`.
/// An `exception` message (`:exception-type: throttlingException`, ...) or an `error` message
/// becomes an SSE `error` event in the Anthropic shape, which the gateway treats as it treats
/// the API's own stream errors (retryable before the first content event).
public enum BedrockStreamRelay {
    public enum Relayed: Sendable, Equatable {
        case event(name: String, data: [UInt8])
        case error(AnthropicError)
    }

    public static func relay(_ message: EventStreamMessage) -> Relayed {
        switch message.string(":message-type") ?? "event" {
        case "exception":
            return .error(
                CloudErrorMapping.bedrock(
                    status: 500, errorType: message.string(":exception-type") ?? "",
                    body: message.payload))
        case "error":
            let code = message.string(":error-code") ?? "InternalFailure"
            let text = message.string(":error-message") ?? "no message"
            return .error(
                CloudErrorMapping.bedrock(
                    status: 500, errorType: code,
                    body: Array(#"{"message":"\#(JSONText.escape(text))"}"#.utf8)))
        default:
            guard let encoded = (try? JSONScanner.scanObject(message.payload, fields: ["bytes"]))?.strings["bytes"],
                let decoded = Data(base64Encoded: encoded)
            else {
                return .error(AnthropicError(.api, "bedrock: a stream chunk carried no base64 'bytes'"))
            }
            let data = [UInt8](decoded)
            guard let type = (try? JSONScanner.scanObject(data, fields: ["type"]))?.strings["type"], !type.isEmpty,
                type.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7f })
            else {
                return .error(AnthropicError(.api, "bedrock: a stream chunk is not a Messages stream event"))
            }
            return .event(name: type, data: data)
        }
    }

    /// The SSE text of one relayed message. JSON may hold raw line breaks between tokens; each
    /// line gets its own `data:` field, which SSE joins back with `\n`.
    public static func sse(_ relayed: Relayed) -> [UInt8] {
        switch relayed {
        case .error(let error):
            return Array(error.sseEvent.utf8)
        case .event(let name, let data):
            var out = Array("event: \(name)\n".utf8)
            out.reserveCapacity(out.count + data.count + 16)
            var lineStart = 0
            for index in 0...data.count where index == data.count || data[index] == 0x0a || data[index] == 0x0d {
                if index > lineStart || index == data.count {
                    out += Array("data: ".utf8)
                    out += data[lineStart..<index]
                    out.append(0x0a)
                }
                lineStart = index + 1
            }
            out.append(0x0a)
            return out
        }
    }
}
