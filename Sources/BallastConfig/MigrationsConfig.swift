/// `migrations`: what makes API-version and model moves safe. Pinned headers per model and
/// client key group, canaries that move a share of traffic step by step, and a deprecation
/// guard that sends requests for retiring models to their successors.
public struct MigrationsConfig: Sendable, Equatable {
    /// Client key groups by name: fingerprints of client keys (`ballast fingerprint`), never
    /// the keys.
    public var keyGroups: [String: [String]]
    public var pin: [PinRule]
    public var canaries: [CanaryConfig]
    public var deprecated: [DeprecatedModel]
    /// Requests for a model this many days before its retirement are already sent to the
    /// successor (0: only once it has retired).
    public var routeWithinDays: Double

    public init(
        keyGroups: [String: [String]] = [:], pin: [PinRule] = [], canaries: [CanaryConfig] = [],
        deprecated: [DeprecatedModel] = [], routeWithinDays: Double = 0
    ) {
        self.keyGroups = keyGroups
        self.pin = pin
        self.canaries = canaries
        self.deprecated = deprecated
        self.routeWithinDays = routeWithinDays
    }

    public var isEmpty: Bool { pin.isEmpty && canaries.isEmpty && deprecated.isEmpty }

    static let keys: Set<String> = ["key_groups", "pin", "canaries", "deprecations"]
}

extension MigrationsConfig {
    static func read(_ map: ConfigMapping?) -> MigrationsConfig {
        var config = MigrationsConfig()
        guard let map else { return config }
        if let groups = map.present("key_groups"), let entries = groups.entries(what: "'migrations.key_groups'") {
            for (key, value) in entries {
                guard let name = key.string(what: "key group name") else { continue }
                let fingerprints = value.strings(what: "'migrations.key_groups.\(name)'") ?? []
                if let bad = fingerprints.first(where: { !Self.isFingerprint($0) }) {
                    value.error("'\(bad)' is not a key fingerprint (16 lower-case hex digits, from `ballast fingerprint`)")
                }
                config.keyGroups[name] = fingerprints
            }
        }
        if let node = map.present("pin") { config.pin = PinRule.readList(node, keyGroups: Set(config.keyGroups.keys)) }
        if let node = map.present("canaries") { config.canaries = CanaryConfig.readList(node) }
        if let node = map.present("deprecations"),
            let deprecations = node.mapping(what: "'migrations.deprecations'", keys: ["route_within_days", "models"])
        {
            if let days = deprecations["route_within_days"]?.double(what: "'migrations.deprecations.route_within_days'") {
                if days >= 0 { config.routeWithinDays = days } else { deprecations["route_within_days"]?.error("must be 0 or more") }
            }
            if let models = deprecations.present("models"), let items = models.sequence(what: "'migrations.deprecations.models'") {
                for (index, item) in items.enumerated() {
                    let what = "migrations.deprecations.models[\(index)]"
                    guard let entry = item.mapping(what: what, keys: ["model", "retires", "successor"]) else { continue }
                    let model = entry.require("model")?.string(what: "'\(what).model'")
                    let successor = entry.require("successor")?.string(what: "'\(what).successor'")
                    var retiresAt: Double?
                    let retiresNode = entry.require("retires")
                    let retires = retiresNode?.string(what: "'\(what).retires'")
                    if let retires {
                        retiresAt = CalendarDate.midnight(retires)
                        if retiresAt == nil { retiresNode?.error("'\(what).retires' must be a date such as 2026-01-05, not '\(retires)'") }
                    }
                    if let model, let successor, model == successor { item.error("\(what): a model cannot succeed itself") }
                    if let model, let successor, let retires, let retiresAt {
                        config.deprecated.append(
                            DeprecatedModel(
                                model: model, retires: retires, retiresAt: retiresAt,
                                successor: successor))
                    }
                }
            }
        }
        return config
    }

    /// The first 16 hex digits of a key's SHA-256, as `ballast fingerprint` prints them.
    static func isFingerprint(_ text: String) -> Bool {
        text.count == 16 && text.unicodeScalars.allSatisfy { ("0"..."9").contains($0) || ("a"..."f").contains($0) }
    }
}
