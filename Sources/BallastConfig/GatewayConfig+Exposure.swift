extension GatewayConfig {
    /// No open relay by accident: in `static` and `oauth` mode Ballast sends the
    /// organisation's credential with every request, so a proxy listener that other machines
    /// can reach must check client keys, or the file must say `clients.require_key: false` on
    /// purpose. In `passthrough` mode a client key is not an Anthropic key, so the two do not
    /// mix. An open status page (`admin.open`) is allowed on loopback only.
    static func checkExposure(_ config: GatewayConfig, map: ConfigMapping, root: ConfigNode, adminMap: ConfigMapping?) {
        let clientsNode = map.keyNode("clients") ?? root
        if config.upstream.auth.mode == .passthrough, config.clients.isEnabled {
            clientsNode.error(
                "'clients.keys' cannot be used with upstream.auth mode passthrough: a client key is not an "
                    + "Anthropic key, so there is nothing to send upstream; use mode static or oauth")
        }
        if config.upstream.auth.mode != .passthrough, !config.listen.isLoopback, !config.clients.requireKey,
            !config.clients.requireKeyExplicit
        {
            (map["listen"] ?? root).error(
                "'listen' (\(config.listen)) is not a loopback address and no client keys are "
                    + "configured: anyone who reaches it would spend the \(config.upstream.auth.mode.rawValue) credential. Add "
                    + "'clients.keys', or set 'clients.require_key: false' to run an open listener on purpose")
        }
        if config.clients.requireKey, !config.clients.isEnabled {
            (map.keyNode("clients") ?? root).error(
                "'clients.require_key' is true but 'clients.keys' lists no key: "
                    + "every request would be refused")
        }
        if config.admin.open, !config.admin.listen.isLoopback {
            (adminMap?["open"] ?? root).error(
                "'admin.open: true' shows the status page without the token to anyone who "
                    + "reaches \(config.admin.listen); set 'admin.open: false' (the page then asks for the token) or listen on loopback")
        }
    }
}
