/// The text of one rule file and the name it is reported under.
public struct RuleSource: Sendable {
    public var path: String
    public var text: String

    public init(path: String, text: String) {
        self.path = path
        self.text = text
    }
}
