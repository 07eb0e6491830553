/// `admin`: the second listener with /healthz, /metrics, the control API and the status page,
/// kept apart from the proxy port so it can stay on loopback or a management network.
public struct AdminConfig: Sendable, Equatable {
    public var listen: ListenAddress
    /// Environment variable holding the bearer token the control API requires.
    public var tokenEnv: String
    /// When true the status page (read-only) is shown without the token.
    public var open: Bool
    /// A third listener serving only `/livez`, `/readyz`, `/healthz` and `/metrics`, for the
    /// kubelet and Prometheus: the control API then need not be reachable from the cluster.
    public var probeListen: ListenAddress?

    public static let keys: Set<String> = ["listen", "token_env", "open", "probe_listen"]

    public init(
        listen: ListenAddress = ListenAddress(host: "127.0.0.1", port: 9090),
        tokenEnv: String = "BALLAST_ADMIN_TOKEN",
        open: Bool = false
    ) {
        self.listen = listen
        self.tokenEnv = tokenEnv
        self.open = open
    }
}

extension AdminConfig {
    static func read(_ map: ConfigMapping?) -> AdminConfig {
        var config = AdminConfig()
        guard let map else { return config }
        if let value = map["listen"]?.listenAddress(what: "'admin.listen'") { config.listen = value }
        if let value = map["token_env"]?.environmentVariableName(what: "'admin.token_env'") { config.tokenEnv = value }
        if let value = map["open"]?.bool(what: "'admin.open'") { config.open = value }
        if let value = map["probe_listen"]?.listenAddress(what: "'admin.probe_listen'") { config.probeListen = value }
        return config
    }
}
