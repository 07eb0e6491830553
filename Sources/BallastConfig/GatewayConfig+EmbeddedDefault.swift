extension GatewayConfig {
    /// The configuration `ballast serve` uses without `--config`: the real Anthropic API as
    /// the only region, with the key the official SDKs read. Also the starting point that
    /// `docs/configuration.md` tells operators to copy.
    public static let embeddedDefaultYAML = """
        # Ballast built-in configuration (used when `ballast serve` gets no --config).
        listen: 127.0.0.1:8080
        admin:
          listen: 127.0.0.1:9090
          token_env: BALLAST_ADMIN_TOKEN
        store:
          path: ./ballast.db
        upstream:
          auth:
            mode: static
            api_key_env: ANTHROPIC_API_KEY
          regions:
            - name: anthropic
              base_url: https://api.anthropic.com
              weight: 100
        rules:
          paths: ["rules/*.yaml"]

        """

    /// `embeddedDefaultYAML` parsed. It cannot fail (a test parses the text and compares);
    /// should it ever, the same values built in code are used rather than crashing.
    public static let embeddedDefault: GatewayConfig = {
        let built = GatewayConfig(
            upstream: UpstreamConfig(
                auth: .staticKey(env: "ANTHROPIC_API_KEY"),
                regions: [RegionConfig(name: "anthropic", baseURL: "https://api.anthropic.com", weight: 100)]
            ))
        return (try? parse(embeddedDefaultYAML, file: "<embedded default>")) ?? built
    }()
}
