/// Why a stream could not be turned into a Message; such an answer is relayed as usual but
/// not cached.
public enum MessageAssemblyError: Error, Sendable, Equatable, CustomStringConvertible {
    /// An event's data was not a JSON object.
    case invalidJSON(event: String)
    /// An event arrived where the protocol does not allow it (a delta before
    /// `message_start`, a block index out of order, …).
    case unexpectedEvent(String)
    /// A delta type this assembler does not know: guessing could cache a wrong answer.
    case unknownDelta(String)
    /// The stream carried an `error` event (its error type).
    case streamError(String)
    /// The stream was larger than the assembler's `maxBytes`.
    case tooLarge
    /// `message_stop` has not arrived (yet).
    case incomplete

    public var description: String {
        switch self {
        case .invalidJSON(let event): return "the data of a '\(event)' event is not a JSON object"
        case .unexpectedEvent(let detail): return "unexpected event: \(detail)"
        case .unknownDelta(let type): return "unknown delta type '\(type)'"
        case .streamError(let type): return "the stream ended with an error event (\(type))"
        case .tooLarge: return "the stream is larger than the assembler's limit"
        case .incomplete: return "the stream has not ended with message_stop"
        }
    }
}
