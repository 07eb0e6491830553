/// The degradation level in force and where it comes from: an operator, this instance's
/// rules or another instance's.
package struct DegradationStatus: Codable, Sendable, Equatable {
    package var level: Int
    package var rulesLevel: Int
    package var instanceLevel: Int
    package var peersLevel: Int
    package var maxLevel: Int
    /// `operator`, `instances` or `rules`.
    package var source: String
    @Nullable package var heldBy: String?
    @Nullable package var override: OverrideStatus?

    package init(
        level: Int, rulesLevel: Int, instanceLevel: Int, peersLevel: Int, maxLevel: Int, source: String, heldBy: String?,
        override: OverrideStatus?
    ) {
        self.level = level
        self.rulesLevel = rulesLevel
        self.instanceLevel = instanceLevel
        self.peersLevel = peersLevel
        self.maxLevel = maxLevel
        self.source = source
        self.heldBy = heldBy
        self.override = override
    }

    enum CodingKeys: String, CodingKey {
        case level, source, override
        case rulesLevel = "rules_level"
        case instanceLevel = "instance_level"
        case peersLevel = "peers_level"
        case maxLevel = "max_level"
        case heldBy = "held_by"
    }
}
