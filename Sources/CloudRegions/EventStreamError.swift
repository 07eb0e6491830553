/// Why bytes are not a valid AWS event stream. Any of these ends the stream: nothing after a
/// bad frame can be trusted, and nothing of it is relayed as content.
public enum EventStreamError: Error, Sendable, Equatable, CustomStringConvertible {
    case preludeCRCMismatch
    case messageCRCMismatch
    /// The total length is below the 16-byte minimum or above the bound.
    case badLength(Int)
    case badHeaders(String)
    /// The stream ended inside a message.
    case truncated(Int)

    public var description: String {
        switch self {
        case .preludeCRCMismatch: "event-stream prelude CRC mismatch"
        case .messageCRCMismatch: "event-stream message CRC mismatch"
        case .badLength(let length): "event-stream message length \(length) is out of bounds"
        case .badHeaders(let why): "event-stream headers are malformed: \(why)"
        case .truncated(let bytes): "event stream ended inside a message (\(bytes) bytes pending)"
        }
    }
}
