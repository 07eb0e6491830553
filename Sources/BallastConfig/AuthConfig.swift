import Yams
/// `upstream.auth`: how requests are authenticated to the upstream. Only the names of
/// environment variables and the paths of files are kept, never a secret, so a config value
/// can be logged, shown on the status page or compared on reload without leaking anything.
public struct AuthConfig: Sendable, Equatable {
    public var mode: UpstreamAuthMode
    /// static: environment variable holding the API key.
    public var apiKeyEnv: String?
    /// static: file holding the API key (resolved against the config file's directory).
    public var apiKeyFile: String?
    /// oauth: token endpoint of the client-credentials grant.
    public var tokenURL: String?
    /// oauth: client id (an identifier, not a secret).
    public var clientID: String?
    /// oauth: environment variable holding the client secret.
    public var clientSecretEnv: String?

    /// The default: a static key from `ANTHROPIC_API_KEY`, as the Anthropic SDKs do.
    public init(
        mode: UpstreamAuthMode = .static,
        apiKeyEnv: String? = "ANTHROPIC_API_KEY",
        apiKeyFile: String? = nil,
        tokenURL: String? = nil,
        clientID: String? = nil,
        clientSecretEnv: String? = nil
    ) {
        self.mode = mode
        self.apiKeyEnv = apiKeyEnv
        self.apiKeyFile = apiKeyFile
        self.tokenURL = tokenURL
        self.clientID = clientID
        self.clientSecretEnv = clientSecretEnv
    }

    /// Forward the client's credentials.
    public static let passthrough = AuthConfig(mode: .passthrough, apiKeyEnv: nil)

    /// A static key read from the environment variable `name`.
    public static func staticKey(env name: String) -> AuthConfig {
        AuthConfig(mode: .static, apiKeyEnv: name)
    }

    /// A static key read from the file at `path`.
    public static func staticKey(file path: String) -> AuthConfig {
        AuthConfig(mode: .static, apiKeyEnv: nil, apiKeyFile: path)
    }

    /// OAuth client credentials; the secret is read from the environment variable `secretEnv`.
    public static func oauth(tokenURL: String, clientID: String, clientSecretEnv: String) -> AuthConfig {
        AuthConfig(mode: .oauth, apiKeyEnv: nil, tokenURL: tokenURL, clientID: clientID, clientSecretEnv: clientSecretEnv)
    }
}

extension AuthConfig {
    static let keysByMode: [UpstreamAuthMode: Set<String>] = [
        .passthrough: [],
        .static: ["api_key_env", "api_key_file"],
        .oauth: ["token_url", "client_id", "client_secret_env"],
    ]

    /// Reads `upstream.auth`; an absent section means the default. Keys that belong to
    /// another mode are errors, because they show that the operator meant something else.
    static func read(_ node: ConfigNode?, baseDirectory: String?) -> AuthConfig {
        let modes = UpstreamAuthMode.allCases.map(\.rawValue).joined(separator: ", ")
        guard let node else { return AuthConfig() }
        let allKeys = keysByMode.values.reduce(Set(["mode"])) { $0.union($1) }
        guard let map = node.mapping(what: "upstream.auth", keys: allKeys) else { return AuthConfig() }
        guard let modeNode = map.present("mode") else {
            node.error("upstream.auth needs 'mode' (\(modes))")
            return AuthConfig()
        }
        guard let modeText = modeNode.string(what: "'upstream.auth.mode'") else { return AuthConfig() }
        guard let mode = UpstreamAuthMode(rawValue: modeText) else {
            modeNode.error("'upstream.auth.mode' must be one of \(modes), not '\(modeText)'")
            return AuthConfig()
        }
        let allowed = keysByMode[mode] ?? []
        for (key, _) in map.entries {
            let name = key.node.string ?? ""
            if name != "mode", !allowed.contains(name) {
                let owner = keysByMode.first { $0.value.contains(name) }?.key.rawValue ?? "another mode"
                key.error("'\(name)' applies to mode \(owner), not to mode \(mode.rawValue)")
            }
        }
        switch mode {
        case .passthrough:
            return .passthrough
        case .static:
            let env = map["api_key_env"]?.environmentVariableName(what: "'upstream.auth.api_key_env'")
            let file = map["api_key_file"].flatMap { fileNode -> String? in
                guard let path = fileNode.string(what: "'upstream.auth.api_key_file'") else { return nil }
                guard !path.isEmpty else {
                    fileNode.error("'upstream.auth.api_key_file' must not be empty")
                    return nil
                }
                return ConfigPath.resolve(path, against: baseDirectory)
            }
            if map.has("api_key_env"), let fileKey = map.entries.first(where: { $0.key.node.string == "api_key_file" })?.key {
                fileKey.error("mode static takes either 'api_key_env' or 'api_key_file', not both")
            } else if !map.has("api_key_env"), !map.has("api_key_file") {
                node.error("mode static needs 'api_key_env' or 'api_key_file'")
            }
            return AuthConfig(mode: .static, apiKeyEnv: env, apiKeyFile: file)
        case .oauth:
            for key in ["token_url", "client_id", "client_secret_env"] where !map.has(key) {
                node.error("mode oauth needs '\(key)'")
            }
            let tokenURL = map["token_url"]?.httpURL(what: "'upstream.auth.token_url'", allowPath: true)
            let clientID = map["client_id"].flatMap { idNode -> String? in
                guard let id = idNode.string(what: "'upstream.auth.client_id'") else { return nil }
                guard !id.isEmpty else {
                    idNode.error("'upstream.auth.client_id' must not be empty")
                    return nil
                }
                return id
            }
            let secretEnv = map["client_secret_env"]?.environmentVariableName(what: "'upstream.auth.client_secret_env'")
            return .oauth(tokenURL: tokenURL ?? "", clientID: clientID ?? "", clientSecretEnv: secretEnv ?? "")
        }
    }
}
