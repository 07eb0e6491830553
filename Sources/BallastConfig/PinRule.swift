/// One `migrations.pin` entry: the `anthropic-version` and `anthropic-beta` values Ballast
/// sends upstream for requests of matching models (and client key group), so an API version
/// moves only when the config says so.
public struct PinRule: Sendable, Equatable {
    /// A model glob (`claude-opus-*`); `*` matches every model.
    public var model: String
    /// A `migrations.key_groups` name; nil matches every client.
    public var keyGroup: String?
    public var anthropicVersion: String?
    /// The complete `anthropic-beta` list to send (comma-joined); empty sends none.
    public var anthropicBeta: [String]?
    public var mode: PinMode

    public init(
        model: String = "*", keyGroup: String? = nil, anthropicVersion: String? = nil, anthropicBeta: [String]? = nil,
        mode: PinMode = .override
    ) {
        self.model = model
        self.keyGroup = keyGroup
        self.anthropicVersion = anthropicVersion
        self.anthropicBeta = anthropicBeta
        self.mode = mode
    }
}

extension PinRule {
    static func readList(_ node: ConfigNode, keyGroups: Set<String>) -> [PinRule] {
        guard let items = node.sequence(what: "'migrations.pin'") else { return [] }
        return items.enumerated().compactMap { index, item in
            let what = "migrations.pin[\(index)]"
            guard let map = item.mapping(what: what, keys: ["model", "key_group", "anthropic_version", "anthropic_beta", "mode"]) else {
                return nil
            }
            var rule = PinRule()
            if let value = map["model"]?.string(what: "'\(what).model'") { rule.model = value }
            if let node = map["key_group"], let value = node.string(what: "'\(what).key_group'") {
                if keyGroups.contains(value) {
                    rule.keyGroup = value
                } else {
                    node.error("unknown key group '\(value)' (defined in migrations.key_groups: \(keyGroups.sorted().joined(separator: ", ")))")
                }
            }
            if let node = map["anthropic_version"], let value = node.string(what: "'\(what).anthropic_version'") {
                if CalendarDate.midnight(value) != nil {
                    rule.anthropicVersion = value
                } else {
                    node.error("'\(what).anthropic_version' must be a version such as 2023-06-01, not '\(value)'")
                }
            }
            if let value = map["anthropic_beta"]?.strings(what: "'\(what).anthropic_beta'") { rule.anthropicBeta = value }
            if let node = map["mode"], let text = node.string(what: "'\(what).mode'") {
                if let mode = PinMode(rawValue: text) {
                    rule.mode = mode
                } else {
                    node.error("'\(what).mode' must be override or fill, not '\(text)'")
                }
            }
            if !map.has("anthropic_version"), !map.has("anthropic_beta") {
                map.owner.error("\(what) pins nothing: give anthropic_version, anthropic_beta or both")
            }
            return rule
        }
    }
}
