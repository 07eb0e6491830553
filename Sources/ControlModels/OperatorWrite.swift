/// The body of an operator's write as the CLI sends it: the reason (required, audited), an
/// optional expiry, and for a degradation the level (null hands it back to the rules). The
/// server reads bodies strictly (unknown fields, repeated names and wrong types are refused),
/// so it parses them itself rather than through these types.
package struct OperatorWrite: Encodable, Sendable, Equatable {
    package var reason: String
    /// A duration such as `10m`; absent: until cleared.
    package var ttl: String?
    /// Only for `PUT /degradation`, where it is always written (null: clear).
    package var level: Level?

    package enum Level: Sendable, Equatable {
        case pinned(Int)
        case clear
    }

    package init(reason: String, ttl: String? = nil, level: Level? = nil) {
        self.reason = reason
        self.ttl = ttl
        self.level = level
    }

    enum CodingKeys: String, CodingKey {
        case reason, ttl, level
    }

    package func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(reason, forKey: .reason)
        try container.encodeIfPresent(ttl, forKey: .ttl)
        switch level {
        case .pinned(let value)?: try container.encode(value, forKey: .level)
        case .clear?: try container.encodeNil(forKey: .level)
        case nil: break
        }
    }
}
