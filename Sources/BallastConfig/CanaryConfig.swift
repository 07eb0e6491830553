/// One migration declared in `migrations.canaries`: requests matching `from` move to `to` in
/// percentage steps, each held at least `minStepTime`; which requests move is decided by a
/// stable hash of a sticky attribute.
public struct CanaryConfig: Sendable, Equatable, Codable {
    public var name: String
    public var from: CanarySide
    public var to: CanarySide
    /// Shares of matching traffic on the new side, rising, each 0 < share <= 1.
    public var steps: [Double]
    public var minStepTime: Double
    public var stickyBy: [StickyAttribute]
    /// Advance on time alone (when no rule holds); false waits for a rule's or an operator's
    /// `advance`.
    public var autoAdvance: Bool

    public init(
        name: String, from: CanarySide, to: CanarySide, steps: [Double] = [0.01, 0.05, 0.25, 1], minStepTime: Double = 600,
        stickyBy: [StickyAttribute] = StickyAttribute.defaults, autoAdvance: Bool = true
    ) {
        self.name = name
        self.from = from
        self.to = to
        self.steps = steps
        self.minStepTime = minStepTime
        self.stickyBy = stickyBy
        self.autoAdvance = autoAdvance
    }

    public static let keys: Set<String> = ["name", "from", "to", "steps", "min_step_time", "sticky_by", "auto_advance"]

    /// Checks a definition from the control API the way the config file is checked; returns
    /// the problems (empty when valid).
    public func problems() -> [String] {
        var problems: [String] = []
        if !RegionConfig.isValidName(name) { problems.append("name must be lower-case letters, digits, _ or -, not '\(name)'") }
        if steps.isEmpty { problems.append("steps needs at least one share") }
        if zip(steps, steps.dropFirst()).contains(where: { $0 >= $1 }) { problems.append("steps must rise") }
        if steps.contains(where: { !($0 > 0 && $0 <= 1) }) { problems.append("every step is a share above 0% and at most 100%") }
        if !(minStepTime >= 1) { problems.append("min_step_time must be at least 1s") }
        if from.model == nil, from.anthropicVersion == nil { problems.append("from needs a model or an anthropic_version") }
        if to.model == nil, to.anthropicVersion == nil { problems.append("to needs a model or an anthropic_version") }
        if stickyBy.isEmpty { problems.append("sticky_by needs at least one attribute") }
        return problems
    }
}

extension CanaryConfig {
    static func readList(_ node: ConfigNode) -> [CanaryConfig] {
        guard let items = node.sequence(what: "'migrations.canaries'") else { return [] }
        var names: [String: Int] = [:]
        return items.enumerated().compactMap { index, item in
            let what = "migrations.canaries[\(index)]"
            guard let map = item.mapping(what: what, keys: keys) else { return nil }
            var name: String?
            if let nameNode = map.require("name"), let text = nameNode.string(what: "'\(what).name'") {
                if !RegionConfig.isValidName(text) {
                    nameNode.error("canary name must be lower-case letters, digits, _ or -, not '\(text)'")
                } else if let line = names[text] {
                    nameNode.error("duplicate canary name '\(text)' (first defined at line \(line))")
                } else {
                    names[text] = nameNode.location.line
                    name = text
                }
            }
            let from = CanarySide.read(map.require("from"), what: "\(what).from", glob: true)
            let to = CanarySide.read(map.require("to"), what: "\(what).to", glob: false)
            var steps = [0.01, 0.05, 0.25, 1.0]
            if let stepsNode = map["steps"], let list = stepsNode.sequence(what: "'\(what).steps'") {
                let values = list.compactMap { $0.ratio(what: "a step of '\(what).steps'") }
                if values.count == list.count {
                    if values.isEmpty || values.contains(where: { !($0 > 0 && $0 <= 1) }) {
                        stepsNode.error("'\(what).steps' must be shares above 0% and at most 100%, e.g. [1%, 5%, 25%, 100%]")
                    } else if zip(values, values.dropFirst()).contains(where: { $0 >= $1 }) {
                        stepsNode.error("'\(what).steps' must rise, e.g. [1%, 5%, 25%, 100%]")
                    } else {
                        steps = values
                    }
                }
            }
            let minStepTime = map.positiveDuration("min_step_time", in: what) ?? 600
            var sticky = StickyAttribute.defaults
            if let stickyNode = map["sticky_by"] {
                let texts = stickyNode.strings(what: "'\(what).sticky_by'") ?? []
                let parsed = texts.compactMap(StickyAttribute.init(parsing:))
                if parsed.count != texts.count || texts.isEmpty {
                    stickyNode.error("'\(what).sticky_by' takes header:NAME, metadata.user_id, first_message or api_key")
                } else {
                    sticky = parsed
                }
            }
            let autoAdvance = map.bool("auto_advance") ?? true
            guard let name, let from, let to else { return nil }
            return CanaryConfig(
                name: name, from: from, to: to, steps: steps, minStepTime: minStepTime, stickyBy: sticky,
                autoAdvance: autoAdvance)
        }
    }
}
