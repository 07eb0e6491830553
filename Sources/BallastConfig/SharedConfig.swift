/// `shared`: state shared by several Ballast instances through Redis (rate allowance, cache,
/// operator overrides, membership). Absent: the instance runs alone, exactly as before.
public struct SharedConfig: Sendable, Equatable {
    /// nil when the section is absent (no sharing).
    public var redis: RedisConfig?

    public init(redis: RedisConfig? = nil) {
        self.redis = redis
    }

    public var isEnabled: Bool { redis != nil }

    static let keys: Set<String> = ["redis"]
}

extension SharedConfig {
    static func read(_ map: ConfigMapping?, baseDirectory: String?) -> SharedConfig {
        guard let map else { return SharedConfig() }
        guard let redis = map.section("redis", path: "shared.redis", keys: RedisConfig.keys) else {
            if !map.has("redis") { map.owner.error("'shared' needs a 'redis' section (or remove 'shared' to run alone)") }
            return SharedConfig()
        }
        return SharedConfig(redis: RedisConfig.read(redis, baseDirectory: baseDirectory))
    }
}
