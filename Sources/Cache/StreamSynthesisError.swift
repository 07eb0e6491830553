public import JSON
/// Why a cached body cannot be re-streamed; the gateway then treats the lookup as a miss.
public enum StreamSynthesisError: Error, Sendable, Equatable, CustomStringConvertible {
    case invalidJSON(JSONParseError)
    /// The body is JSON but not a Message (no `"type": "message"` or no `content` array),
    /// e.g. a `count_tokens` answer.
    case notAMessage

    public var description: String {
        switch self {
        case .invalidJSON(let error): return "the cached body is not JSON: \(error)"
        case .notAMessage: return "the cached body is not a Message"
        }
    }
}
