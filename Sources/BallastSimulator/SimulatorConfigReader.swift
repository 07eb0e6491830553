import BallastConfig
import Yams

/// Turns the YAML of a simulator config into values, recording every problem with its
/// file:line:column in the shared `ConfigIssues` instead of stopping at the first.
enum SimulatorConfigReader {
    static func config(_ root: ConfigNode) -> SimulatorConfig {
        var config = SimulatorConfig(seed: 1, regions: [])
        guard let map = root.mapping(what: "simulator config", keys: ["seed", "regions", "oauth", "rate_limit", "aws", "gcp"]) else {
            return config
        }
        if let node = map["seed"], let text = node.scalarText(what: "'seed'") {
            if let seed = UInt64(text) {
                config.seed = seed
            } else {
                node.error("'seed' must be a whole number from 0 to \(UInt64.max), not '\(text)'")
            }
        }
        guard let regionsNode = map.require("regions"), let list = regionsNode.sequence(what: "'regions'") else {
            return config
        }
        if list.isEmpty { regionsNode.error("'regions' needs at least one region") }
        var seen: [String: Int] = [:]
        for node in list {
            guard let region = region(node) else { continue }
            if let line = seen[region.name] {
                node.error("region name '\(region.name)' is used twice (first at line \(line))")
            }
            seen[region.name] = node.location.line
            config.regions.append(region)
        }
        if let oauthNode = map.present("oauth") { config.oauth = oauth(oauthNode, regions: config.regions) }
        if let limitNode = map["rate_limit"] {
            let limit = rateLimit(limitNode)
            if limit.scope == .region {
                (limitNode.mapping(what: "'rate_limit'", keys: rateLimitKeys)?["scope"] ?? limitNode)
                    .error("the top-level 'rate_limit' is the organisation's; 'scope: region' belongs in a region's own 'rate_limit'")
            }
            config.rateLimit = limit.scoped(.organisation)
        }
        readCloudAccounts(map, into: &config)
        return config
    }

    /// The `oauth` section: the token issuer. Both credentials are required (a config that
    /// turns OAuth on should say what the client must present); the rest have defaults.
    static func oauth(_ node: ConfigNode, regions: [SimulatedRegionConfig]) -> TokenIssuerConfig {
        var issuer = TokenIssuerConfig()
        let keys: Set<String> = ["client_id", "client_secret", "token_ttl", "listen", "max_live_tokens", "faults"]
        guard let map = node.mapping(what: "'oauth'", keys: keys) else { return issuer }
        for (key, label) in [("client_id", "'oauth.client_id'"), ("client_secret", "'oauth.client_secret'")] {
            guard let valueNode = map.require(key), let value = valueNode.string(what: label) else { continue }
            if value.isEmpty { valueNode.error("\(label) must not be empty") }
            if key == "client_id" { issuer.clientID = value } else { issuer.clientSecret = value }
        }
        if let ttlNode = map["token_ttl"], let ttl = ttlNode.duration(what: "'oauth.token_ttl'") {
            // expires_in is a whole number of seconds, so the lifetime is one too.
            if ttl < 1 || ttl != ttl.rounded() || ttl > Double(Int32.max) {
                ttlNode.error("'oauth.token_ttl' must be a whole number of seconds, at least 1s, not '\(ttlNode.string(what: "'oauth.token_ttl'") ?? "")'")
            } else {
                issuer.tokenTTL = Int(ttl)
            }
        }
        if let listenNode = map["listen"], let listen = listenNode.listenAddress(what: "'oauth.listen'") {
            if listen.port != 0, let clash = regions.first(where: { $0.listen.port == listen.port }) {
                listenNode.error("'oauth.listen' uses port \(listen.port), as region '\(clash.name)' does")
            }
            issuer.listen = listen
        }
        if let value = positiveInt(map, "max_live_tokens") { issuer.maxLiveTokens = value }
        if let faultsNode = map.present("faults") { issuer.faults = tokenIssuerFaults(faultsNode) }
        return issuer
    }

    /// The issuer's faults (`oauth.faults`, or the body of `PUT /_sim/oauth`); absent keys
    /// take the fault-free defaults.
    static func tokenIssuerFaults(_ node: ConfigNode) -> TokenIssuerFaults {
        var faults = TokenIssuerFaults()
        guard let map = node.mapping(what: "oauth 'faults'", keys: ["down", "delay"]) else { return faults }
        if let down = map.bool("down") { faults.down = down }
        if let delay = map.duration("delay") { faults.delay = delay }
        return faults
    }

    static func region(_ node: ConfigNode) -> SimulatedRegionConfig? {
        let keys: Set<String> = [
            "name", "listen", "api_key", "require_anthropic_version", "latency", "output",
            "faults", "schedule", "threads", "rate_limit", "episodes", "capacity",
            "kind", "aws_region", "project", "location",
        ]
        guard let map = node.mapping(what: "region", keys: keys) else { return nil }
        var region = SimulatedRegionConfig()
        if let nameNode = map.require("name"), let name = nameNode.string(what: "'name'") {
            if name.isEmpty { nameNode.error("'name' must not be empty") }
            region.name = name
        }
        region.kind = kind(map, node)
        if let listen = map["listen"]?.listenAddress() { region.listen = listen }
        if let key = map.string("api_key") { region.apiKey = key }
        if let flag = map.bool("require_anthropic_version") { region.requireAnthropicVersion = flag }
        if let threads = positiveInt(map, "threads") { region.threads = threads }
        if let latencyNode = map["latency"] { region.latency = latency(latencyNode) }
        if let outputNode = map["output"] { region.output = output(outputNode) }
        if let faultsNode = map["faults"] { region.faults = faults(faultsNode) }
        // The region's own limits may sit beside its faults (where the organisation's sit at
        // the top) or, as older configs have them, inside `faults`; not both.
        if let limitNode = map["rate_limit"] {
            if region.faults.rateLimit != nil {
                limitNode.error("'rate_limit' is given both here and in 'faults': give it once")
            }
            region.faults.rateLimit = rateLimit(limitNode)
        }
        if let capacity = positiveInt(map, "capacity") { region.capacity = capacity }
        if let episodesNode = map["episodes"], let entries = episodesNode.sequence(what: "'episodes'") {
            region.episodes = entries.compactMap(episode)
        }
        if let scheduleNode = map["schedule"], let entries = scheduleNode.sequence(what: "'schedule'") {
            region.schedule = entries.compactMap(scheduleEntry)
        }
        return region
    }

    static func latency(_ node: ConfigNode) -> LatencyModel {
        var model = LatencyModel()
        let keys: Set<String> = ["first_byte", "token_interval", "slow_tail", "stall"]
        guard let map = node.mapping(what: "'latency'", keys: keys) else { return model }
        if let firstByte = map["first_byte"] {
            if case .scalar = firstByte.node {
                model.firstByteMedian = firstByte.duration(what: "'first_byte'") ?? 0
            } else if let fb = firstByte.mapping(what: "'first_byte'", keys: ["median", "spread"]) {
                model.firstByteMedian = fb.duration("median") ?? 0
                model.firstByteSpread = nonNegative(fb, "spread") ?? 0
            }
        }
        if let interval = map.duration("token_interval") { model.tokenInterval = interval }
        if let tailNode = map["slow_tail"], let tail = tailNode.mapping(what: "'slow_tail'", keys: ["ratio", "factor"]) {
            model.slowTail.ratio = tail.ratio("ratio") ?? 0
            if let factorNode = tail["factor"], let factor = factorNode.double(what: "'factor'") {
                if factor < 1 { factorNode.error("'factor' must be at least 1, not \(factor)") }
                model.slowTail.factor = factor
            }
        }
        if let stallNode = map["stall"], let stall = stallNode.mapping(what: "'stall'", keys: ["ratio", "duration"]) {
            model.stall.ratio = stall.ratio("ratio") ?? 0
            if let duration = stall.duration("duration") { model.stall.duration = duration }
        }
        return model
    }

    static func output(_ node: ConfigNode) -> OutputModel {
        var model = OutputModel()
        guard let map = node.mapping(what: "'output'", keys: ["min_tokens", "max_tokens", "tokens_per_delta"]) else {
            return model
        }
        if let value = positiveInt(map, "min_tokens") { model.minTokens = value }
        if let value = positiveInt(map, "max_tokens") { model.maxTokens = value }
        if let value = positiveInt(map, "tokens_per_delta") { model.tokensPerDelta = value }
        if model.maxTokens < model.minTokens {
            (map["max_tokens"] ?? node).error("'max_tokens' (\(model.maxTokens)) must not be below 'min_tokens' (\(model.minTokens))")
        }
        return model
    }

    /// A whole faults section: absent keys take the fault-free defaults.
    static func faults(_ node: ConfigNode) -> FaultSettings {
        faultOverride(node).applied(to: FaultSettings())
    }

    /// A faults section where only the keys given are set.
    static func faultOverride(_ node: ConfigNode) -> FaultOverride {
        var override = FaultOverride()
        let keys: Set<String> = [
            "rate_limit", "error_ratio", "reset_ratio", "stream_error_ratio", "outage",
            "refuse_connections",
        ]
        guard let map = node.mapping(what: "'faults'", keys: keys) else { return override }
        if let limitNode = map["rate_limit"] { override.rateLimit = rateLimit(limitNode) }
        if let ratiosNode = map["error_ratio"] {
            let statuses = Set(FaultSettings.errorStatuses.map(String.init))
            if let ratios = ratiosNode.mapping(what: "'error_ratio'", keys: statuses) {
                var result: [Int: Double] = [:]
                for (key, value) in ratios.entries {
                    guard let status = key.node.string.flatMap({ Int($0) }),
                        let ratio = value.ratio(what: "'error_ratio' of \(status)")
                    else { continue }
                    result[status] = ratio
                }
                override.errorRatios = result
            }
        }
        if let ratio = map.ratio("reset_ratio") { override.resetRatio = ratio }
        if let ratio = map.ratio("stream_error_ratio") { override.streamErrorRatio = ratio }
        if let outage = map.bool("outage") { override.outage = outage }
        if let refuse = map.bool("refuse_connections") { override.refuseConnections = refuse }
        let total = (override.resetRatio ?? 0) + (override.errorRatios ?? [:]).values.reduce(0, +)
        if total > 1 + 1e-9 {
            (map["error_ratio"] ?? node).error("'reset_ratio' plus the 'error_ratio' values must not exceed 1, not \(total)")
        }
        return override
    }

    static let rateLimitKeys: Set<String> = [
        "scope", "requests_per_second", "requests_per_minute", "burst", "tokens_per_minute",
        "input_tokens_per_minute", "input_tokens_burst", "output_tokens_per_minute", "output_tokens_burst",
    ]

    /// A `rate_limit` section. Absent figures are unlimited; `scope` defaults to the
    /// organisation, the API's own (and so the realistic) scope.
    static func rateLimit(_ node: ConfigNode) -> RateLimitSettings {
        var limit = RateLimitSettings()
        guard let map = node.mapping(what: "'rate_limit'", keys: rateLimitKeys) else { return limit }
        if let scopeNode = map["scope"], let text = scopeNode.string(what: "'scope'") {
            switch text {
            case "organisation", "organization": limit.scope = .organisation
            case "region": limit.scope = .region
            default: scopeNode.error("'scope' must be organisation or region, not '\(text)'")
            }
        }
        limit.requestsPerSecond = nonNegative(map, "requests_per_second") ?? 0
        if let perMinute = nonNegative(map, "requests_per_minute") {
            if map["requests_per_second"] != nil {
                (map["requests_per_minute"] ?? node).error("give 'requests_per_second' or 'requests_per_minute', not both")
            }
            limit.requestsPerSecond = perMinute / 60
        }
        limit.burst = nonNegative(map, "burst") ?? 0
        // The old combined figure sets both token buckets unless they are given.
        let combined = nonNegative(map, "tokens_per_minute") ?? 0
        limit.inputTokensPerMinute = nonNegative(map, "input_tokens_per_minute") ?? combined
        limit.inputTokensBurst = nonNegative(map, "input_tokens_burst") ?? 0
        limit.outputTokensPerMinute = nonNegative(map, "output_tokens_per_minute") ?? combined
        limit.outputTokensBurst = nonNegative(map, "output_tokens_burst") ?? 0
        return limit
    }

    /// One entry of a region's `episodes`.
    static func episode(_ node: ConfigNode) -> FaultEpisodeModel? {
        let keys: Set<String> = ["rate_per_hour", "mean_duration", "models", "faults", "stall"]
        guard let map = node.mapping(what: "episode", keys: keys) else { return nil }
        var model = FaultEpisodeModel()
        if map.require("rate_per_hour") != nil, let rate = nonNegative(map, "rate_per_hour") { model.ratePerHour = rate }
        if let durationNode = map.require("mean_duration"), let duration = durationNode.duration(what: "'mean_duration'") {
            if duration <= 0 { durationNode.error("'mean_duration' must be above 0") }
            model.meanDuration = duration
        }
        if let modelsNode = map["models"], let list = modelsNode.strings(what: "'models'") {
            if list.isEmpty { modelsNode.error("'models' needs at least one model name (leave it out for every model)") }
            model.models = list
        }
        if let faultsNode = map["faults"] {
            model.faults = faultOverride(faultsNode)
            if model.faults.rateLimit != nil || model.faults.outage != nil || model.faults.refuseConnections != nil {
                faultsNode.error("an episode's 'faults' may only set error_ratio, reset_ratio and stream_error_ratio")
            }
        }
        if let stallNode = map["stall"], let stall = stallNode.mapping(what: "'stall'", keys: ["ratio", "duration"]) {
            var value = StallModel()
            value.ratio = stall.ratio("ratio") ?? 0
            if let duration = stall.duration("duration") { value.duration = duration }
            model.stall = value
        }
        if map["faults"] == nil, map["stall"] == nil { node.error("an episode needs 'faults' or 'stall' (what it does)") }
        return model
    }

    static func scheduleEntry(_ node: ConfigNode) -> FaultScheduleEntry? {
        guard let map = node.mapping(what: "schedule entry", keys: ["at", "for", "faults", "models", "latency"]) else { return nil }
        let at = map.require("at")?.duration(what: "'at'")
        let duration = map.duration("for")
        // An entry may change only the latency; otherwise it needs its faults.
        let latencyModel = map["latency"].map(latency)
        let faults = latencyModel != nil && map["faults"] == nil ? FaultOverride() : map.require("faults").map(faultOverride)
        var models: [String]?
        if let modelsNode = map["models"], let list = modelsNode.strings(what: "'models'") {
            if list.isEmpty { modelsNode.error("'models' needs at least one model name (leave it out for every model)") }
            models = list
            if let faults, faults.rateLimit != nil || faults.outage != nil || faults.refuseConnections != nil {
                modelsNode.error(
                    "an entry with 'models' may only set error_ratio, reset_ratio and stream_error_ratio: "
                        + "outages and rate limits belong to the whole region")
            }
        }
        guard let at, let faults else { return nil }
        return FaultScheduleEntry(at: at, duration: duration, faults: faults, models: models, latency: latencyModel)
    }

    private static func nonNegative(_ map: ConfigMapping, _ key: String) -> Double? {
        guard let node = map[key], let value = node.double(what: "'\(key)'") else { return nil }
        guard value >= 0 else {
            node.error("'\(key)' must not be negative, not \(value)")
            return nil
        }
        return value
    }

    static func positiveInt(_ map: ConfigMapping, _ key: String) -> Int? {
        guard let node = map[key], let value = node.int(what: "'\(key)'") else { return nil }
        guard value >= 1 else {
            node.error("'\(key)' must be at least 1, not \(value)")
            return nil
        }
        return value
    }
}
