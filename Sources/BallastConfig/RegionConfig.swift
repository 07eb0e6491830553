/// One upstream region: where requests can go and what share of traffic it gets while healthy.
public struct RegionConfig: Sendable, Equatable {
    /// Identifier used in metrics, logs and the control API: `[a-z0-9_-]+`, unique.
    public var name: String
    /// `scheme://host[:port]` without a trailing slash; Ballast appends `/v1/...`.
    public var baseURL: String
    /// Relative share of traffic; 0 keeps the region as a standby that only gets failover.
    public var weight: Int
    /// Regions with the same limit group share one rate allowance (`upstream.regions[].limit_group`).
    /// Default: every region shares the credential's, as the API limits an organisation, not a
    /// region; give a region its own group when it really has limits of its own (another
    /// organisation's key, a provider whose quotas are per region).
    public var limitGroup: String
    /// `anthropic` (default), `bedrock` or `vertex` (docs/regions.md).
    public var kind: RegionKind
    /// The settings of a `bedrock` or `vertex` region; nil for `anthropic`.
    public var cloud: CloudRegionConfig?

    public init(
        name: String, baseURL: String, weight: Int = RegionConfig.defaultWeight,
        limitGroup: String = RegionConfig.credentialLimitGroup, kind: RegionKind = .anthropic,
        cloud: CloudRegionConfig? = nil
    ) {
        self.name = name
        self.baseURL = baseURL
        self.weight = weight
        self.limitGroup = limitGroup
        self.kind = kind
        self.cloud = cloud
    }

    /// The group of regions that name none (the same as `Region.credentialLimitGroup`).
    public static let credentialLimitGroup = "credential"

    public static let defaultWeight = 100
}

extension RegionConfig {
    /// Longest region name, in bytes: names are metric labels, log fields and keys in the store,
    /// and a 2 MB name was once accepted and logged (docs/configuration.md, "Input limits").
    public static let maxNameBytes = 64

    /// True when `name` is usable as a region name and a metric label value.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && name.utf8.count <= maxNameBytes
            && name.unicodeScalars.allSatisfy {
                ("a"..."z").contains($0) || ("0"..."9").contains($0) || $0 == "_" || $0 == "-"
            }
    }

    /// Reads `upstream.regions`, checking each entry and that names are unique and at least
    /// one region has weight. Problems are recorded on `issues`; bad entries are left out.
    static func readList(_ node: ConfigNode) -> [RegionConfig] {
        guard let items = node.sequence(what: "'upstream.regions'") else { return [] }
        if items.isEmpty {
            node.error("'upstream.regions' needs at least one region")
            return []
        }
        var regions: [RegionConfig] = []
        var firstLine: [String: Int] = [:]
        var weights: [Int] = []
        var everyWeightKnown = true
        for (index, item) in items.enumerated() {
            let what = "upstream.regions[\(index)]"
            guard let map = item.mapping(what: what, keys: Set(["name", "base_url", "weight", "limit_group"] + cloudKeys)) else {
                everyWeightKnown = false
                continue
            }
            var name: String?
            if let nameNode = map.require("name"), let text = nameNode.string(what: "'\(what).name'") {
                if text.utf8.count > maxNameBytes {
                    nameNode.error("region name is \(text.utf8.count) bytes, longer than the limit of \(maxNameBytes) ('\(text.prefix(32))...')")
                } else if !isValidName(text) {
                    nameNode.error("region name must be lower-case letters, digits, _ or - (such as us-east), not '\(text)'")
                } else if let line = firstLine[text] {
                    nameNode.error("duplicate region name '\(text)' (first defined at line \(line))")
                } else {
                    firstLine[text] = nameNode.location.line
                    name = text
                }
            }
            let kind = readKind(map, what: what)
            let cloud = kind.flatMap { readCloud(map, what: what, kind: $0) }
            var baseURL: String?
            if kind == .anthropic || kind == nil {
                baseURL = map.require("base_url")?.httpURL(what: "'\(what).base_url'", allowPath: false)
            } else if let node = map["base_url"], let kind {
                node.error("a \(kind.rawValue) region has no 'base_url': its URLs are made per request (set 'endpoint' to replace the service's host)")
            } else if let kind, case .some(.some(let settings)) = cloud {
                // A cloud region's base URL is its endpoint (status page, logs); the path is per request.
                baseURL = settings.resolvedEndpoint(kind: kind)
            }
            var weight: Int? = defaultWeight
            if let weightNode = map["weight"] {
                weight = weightNode.int(what: "'\(what).weight'")
                if let value = weight, value < 0 {
                    weightNode.error("'\(what).weight' must be 0 or more, not \(value)")
                    weight = nil
                }
            }
            // Bedrock and Vertex quotas are per account or project, region and model, not the
            // Anthropic organisation's: each such region is its own limit group unless told.
            var limitGroup: String? = kind == .anthropic || kind == nil ? credentialLimitGroup : name
            if let groupNode = map["limit_group"] {
                limitGroup = groupNode.string(what: "'\(what).limit_group'")
                if let text = limitGroup, !isValidName(text) {
                    groupNode.error("'\(what).limit_group' must be lower-case letters, digits, _ or -, not '\(text)'")
                    limitGroup = nil
                }
            }
            if let weight { weights.append(weight) } else { everyWeightKnown = false }
            if let name, let baseURL, let weight, let limitGroup, let kind, case .some(let settings) = cloud {
                regions.append(
                    RegionConfig(
                        name: name, baseURL: baseURL, weight: weight, limitGroup: limitGroup,
                        kind: kind, cloud: settings))
            }
        }
        // Only judge the weights when all of them were read; otherwise the cause is already reported.
        if everyWeightKnown, weights.allSatisfy({ $0 == 0 }) {
            node.error("at least one region needs a weight above 0, or no request can be routed")
        }
        return regions
    }
}
