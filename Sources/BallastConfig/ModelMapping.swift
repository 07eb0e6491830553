/// One entry of a cloud region's `models` map: Anthropic model names matching `pattern` (a glob)
/// are sent to the region as `target` (a Bedrock model id or inference profile, a Vertex model).
public struct ModelMapping: Sendable, Equatable {
    public var pattern: String
    public var target: String

    public init(pattern: String, target: String) {
        self.pattern = pattern
        self.target = target
    }
}
