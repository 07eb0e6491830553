/// `clients`: who may use the proxy listener. Each key has a name, its own rate limits, a
/// daily token budget and the models it may use; callers send it as the official SDKs send an
/// API key (`x-api-key` or `Authorization: Bearer`). Absent: no inbound authentication, which
/// is only allowed on a loopback listener in `static` and `oauth` mode (see `openRelayProblem`).
public struct ClientsConfig: Sendable, Equatable {
    public var keys: [ClientKeyConfig]
    /// Whether a request must carry a configured key. Defaults to true when any key is
    /// configured; `false` with no keys says "an open listener, on purpose".
    public var requireKey: Bool
    /// True when the file said `require_key` itself (false then is deliberate, and logged).
    public var requireKeyExplicit: Bool

    public init(keys: [ClientKeyConfig] = [], requireKey: Bool? = nil) {
        self.keys = keys
        self.requireKey = requireKey ?? !keys.isEmpty
        requireKeyExplicit = requireKey != nil
    }

    /// True when requests are checked against the keys at all.
    public var isEnabled: Bool { !keys.isEmpty }

    static let keys: Set<String> = ["require_key", "keys"]
}

extension ClientsConfig {
    static func read(_ map: ConfigMapping?) -> ClientsConfig {
        guard let map else { return ClientsConfig() }
        let requireKey = map["require_key"]?.bool(what: "'clients.require_key'")
        var keys: [ClientKeyConfig] = []
        if let list = map.present("keys"), let items = list.sequence(what: "'clients.keys'") {
            var seenNames: [String: Int] = [:]
            var seenSources: [String: Int] = [:]
            for (index, item) in items.enumerated() {
                guard let key = ClientKeyConfig.read(item, index: index) else { continue }
                if let first = seenNames[key.name] {
                    item.error("clients.keys[\(index)]: the name '\(key.name)' is already used by clients.keys[\(first)]")
                    continue
                }
                let source = key.keyEnv.map { "env:" + $0 } ?? "sha256:" + (key.keySHA256 ?? "")
                if let first = seenSources[source] {
                    item.error("clients.keys[\(index)]: the same key as clients.keys[\(first)]; one key has one name")
                    continue
                }
                seenNames[key.name] = index
                seenSources[source] = index
                keys.append(key)
            }
        }
        return ClientsConfig(keys: keys, requireKey: requireKey)
    }
}
