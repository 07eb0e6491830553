/// One entry of `clients.keys`: a caller of the proxy, its limits and the models it may use.
/// The key itself is never in the file: only the environment variable that holds it, or its
/// SHA-256 (so a config file can be committed and shown).
public struct ClientKeyConfig: Sendable, Equatable {
    /// Shown in metrics, the store and the control API (a bounded label: the configured names).
    public var name: String
    /// The environment variable holding the key (read at start and on every reload).
    public var keyEnv: String?
    /// The key's SHA-256, 64 lower-case hex digits.
    public var keySHA256: String?
    public var requestsPerMinute: Int?
    public var inputTokensPerMinute: Int?
    public var outputTokensPerMinute: Int?
    /// Input plus output tokens per UTC day.
    public var tokensPerDay: Int?
    /// Model globs this key may use; empty: every model.
    public var models: [String]

    public init(
        name: String, keyEnv: String? = nil, keySHA256: String? = nil, requestsPerMinute: Int? = nil,
        inputTokensPerMinute: Int? = nil, outputTokensPerMinute: Int? = nil, tokensPerDay: Int? = nil,
        models: [String] = []
    ) {
        self.name = name
        self.keyEnv = keyEnv
        self.keySHA256 = keySHA256
        self.requestsPerMinute = requestsPerMinute
        self.inputTokensPerMinute = inputTokensPerMinute
        self.outputTokensPerMinute = outputTokensPerMinute
        self.tokensPerDay = tokensPerDay
        self.models = models
    }

    static let keys: Set<String> = [
        "name", "key_env", "key_sha256", "key", "requests_per_minute", "input_tokens_per_minute",
        "output_tokens_per_minute", "budget", "models",
    ]
}

extension ClientKeyConfig {
    /// Reads `clients.keys[index]`; nil (with issues) when it cannot be used.
    static func read(_ node: ConfigNode, index: Int) -> ClientKeyConfig? {
        let what = "clients.keys[\(index)]"
        guard let map = node.mapping(what: what, keys: keys) else { return nil }
        if let keyNode = map.keyNode("key") {
            keyNode.error(
                "\(what): never put a client key in the config file; name the environment variable that holds it "
                    + "('key_env') or give its SHA-256 ('key_sha256', from `printf %s KEY | sha256sum`)")
        }
        let nameNode = map.require("name")
        let name = nameNode?.string(what: "'\(what).name'")
        if let name, let nameNode, !isName(name) {
            nameNode.error("'\(what).name' must be 1 to 64 lower-case letters, digits, '-' or '_' (it is a metric label), not '\(name)'")
        }
        let keyEnv = map["key_env"]?.environmentVariableName(what: "'\(what).key_env'")
        var keySHA256: String?
        if let hashNode = map["key_sha256"], let text = hashNode.string(what: "'\(what).key_sha256'") {
            let lower = text.lowercased()
            if lower.count == 64, lower.unicodeScalars.allSatisfy({ ("0"..."9").contains($0) || ("a"..."f").contains($0) }) {
                keySHA256 = lower
            } else {
                hashNode.error("'\(what).key_sha256' must be 64 hex digits (the key's SHA-256), not '\(text)'")
            }
        }
        if map.has("key_env"), map.has("key_sha256") {
            node.error("\(what) takes either 'key_env' or 'key_sha256', not both")
        } else if !map.has("key_env"), !map.has("key_sha256"), !map.has("key") {
            node.error("\(what) needs 'key_env' (the environment variable holding the key) or 'key_sha256'")
        }
        var config = ClientKeyConfig(name: name ?? "", keyEnv: keyEnv, keySHA256: keySHA256)
        config.requestsPerMinute = map.int("requests_per_minute", in: what, range: 1...Int.max)
        config.inputTokensPerMinute = map.int("input_tokens_per_minute", in: what, range: 1...Int.max)
        config.outputTokensPerMinute = map.int("output_tokens_per_minute", in: what, range: 1...Int.max)
        if let budget = map.section("budget", path: "\(what).budget", keys: ["tokens_per_day", "usd_per_day"]) {
            if let usd = budget.keyNode("usd_per_day") {
                usd.error(
                    "'\(what).budget.usd_per_day' needs a price table, which Ballast does not have yet; "
                        + "use 'tokens_per_day' (input plus output tokens per UTC day)")
            }
            config.tokensPerDay = budget.int("tokens_per_day", in: "\(what).budget", range: 1...Int.max)
        }
        if let models = map.present("models") {
            config.models = models.strings(what: "'\(what).models'") ?? []
            if config.models.contains(where: \.isEmpty) { models.error("'\(what).models' must not hold an empty pattern") }
        }
        guard name != nil, keyEnv != nil || keySHA256 != nil else { return nil }
        return config
    }

    static func isName(_ text: String) -> Bool {
        (1...64).contains(text.count)
            && text.unicodeScalars.allSatisfy { ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" }
    }
}
