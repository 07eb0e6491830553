/// A configured answer Ballast gives instead of calling the upstream: a message with `text`
/// (status 200) or an Anthropic-shaped error (any other status).
public struct TemplateAnswer: Sendable, Equatable {
    public var status: Int
    public var text: String

    public init(status: Int = 200, text: String) {
        self.status = status
        self.text = text
    }
}
