/// What a request is assigned to a canary side by, so one conversation stays on one side:
/// the first of these a request has is hashed.
public enum StickyAttribute: Sendable, Equatable, Codable, CustomStringConvertible {
    /// A request header, e.g. `header:x-ballast-conversation`.
    case header(String)
    /// The body's `metadata.user_id`.
    case metadataUserID
    /// The body's first message (the same for every turn of a conversation).
    case firstMessage
    /// The client's credential (hashed; never stored).
    case apiKey

    public static let defaults: [StickyAttribute] = [.header("x-ballast-conversation"), .metadataUserID, .firstMessage]

    public init?(parsing text: String) {
        switch text {
        case "metadata.user_id": self = .metadataUserID
        case "first_message": self = .firstMessage
        case "api_key": self = .apiKey
        default:
            guard text.hasPrefix("header:"), text.count > 7 else { return nil }
            self = .header(String(text.dropFirst(7)).lowercased())
        }
    }

    public var description: String {
        switch self {
        case .header(let name): "header:\(name)"
        case .metadataUserID: "metadata.user_id"
        case .firstMessage: "first_message"
        case .apiKey: "api_key"
        }
    }
}
