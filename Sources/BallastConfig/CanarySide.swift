/// One side of a migration: the model and/or API version requests have (`from`) or are
/// moved to (`to`).
public struct CanarySide: Sendable, Equatable, Codable {
    /// A model, or on the `from` side a glob.
    public var model: String?
    public var anthropicVersion: String?

    public init(model: String? = nil, anthropicVersion: String? = nil) {
        self.model = model
        self.anthropicVersion = anthropicVersion
    }

    /// `model=claude-sonnet-4-6 version=2023-06-01`
    public var description: String {
        [model.map { "model=\($0)" }, anthropicVersion.map { "version=\($0)" }].compactMap { $0 }.joined(separator: " ")
    }
}

extension CanarySide {
    static func read(_ node: ConfigNode?, what: String, glob: Bool) -> CanarySide? {
        guard let node, let map = node.mapping(what: "'\(what)'", keys: ["model", "anthropic_version"]) else { return nil }
        var side = CanarySide()
        if let modelNode = map["model"], let value = modelNode.string(what: "'\(what).model'") {
            if !glob, value.contains("*") || value.contains("?") {
                modelNode.error("'\(what).model' must be one model, not a pattern")
            } else {
                side.model = value
            }
        }
        if let versionNode = map["anthropic_version"], let value = versionNode.string(what: "'\(what).anthropic_version'") {
            if CalendarDate.midnight(value) != nil {
                side.anthropicVersion = value
            } else {
                versionNode.error("'\(what).anthropic_version' must be a version such as 2023-06-01, not '\(value)'")
            }
        }
        if !map.has("model"), !map.has("anthropic_version") {
            map.owner.error("'\(what)' needs a model, an anthropic_version or both")
        }
        return side.model == nil && side.anthropicVersion == nil ? nil : side
    }
}
