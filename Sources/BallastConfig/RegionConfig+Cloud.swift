extension RegionConfig {
    /// Keys only `bedrock` and `vertex` regions have.
    static let cloudKeys = ["kind", "aws_region", "project", "location", "endpoint", "credentials_file", "models"]

    /// Reads `kind` (default `anthropic`).
    static func readKind(_ map: ConfigMapping, what: String) -> RegionKind? {
        guard let node = map["kind"] else { return .anthropic }
        guard let text = node.string(what: "'\(what).kind'") else { return nil }
        guard let kind = RegionKind(rawValue: text) else {
            node.error("'\(what).kind' must be one of \(RegionKind.allCases.map(\.rawValue).joined(separator: ", ")), not '\(text)'")
            return nil
        }
        return kind
    }

    /// Reads the keys of a cloud region, recording problems on the nodes; nil when one is wrong.
    /// For an `anthropic` region, the cloud keys are errors.
    static func readCloud(_ map: ConfigMapping, what: String, kind: RegionKind) -> CloudRegionConfig?? {
        let present = cloudKeys.dropFirst().filter { map.has($0) }
        if kind == .anthropic {
            for key in present {
                map[key]?.error("'\(what).\(key)' belongs to bedrock and vertex regions; this region's kind is anthropic")
            }
            return present.isEmpty ? .some(nil) : nil
        }
        var ok = true
        var cloud = CloudRegionConfig()
        let own: Set<String> =
            kind == .bedrock
            ? ["aws_region", "endpoint", "models"]
            : ["project", "location", "endpoint", "credentials_file", "models"]
        for key in present where !own.contains(key) {
            map[key]?.error("'\(what).\(key)' is not a setting of \(kind.rawValue) regions")
            ok = false
        }
        func name(_ key: String) -> String? {
            guard let node = map.require(key) else {
                ok = false
                return nil
            }
            guard let text = node.string(what: "'\(what).\(key)'") else {
                ok = false
                return nil
            }
            // Part of a host name and a URL path: a slash or a space there would make another URL.
            guard !text.isEmpty, text.utf8.count <= 128,
                text.unicodeScalars.allSatisfy({
                    ("a"..."z").contains($0) || ("A"..."Z").contains($0) || ("0"..."9").contains($0) || $0 == "-" || $0 == "_" || $0 == "."
                })
            else {
                node.error("'\(what).\(key)' must be letters, digits, '-', '_' or '.', not '\(text.prefix(64))'")
                ok = false
                return nil
            }
            return text
        }
        switch kind {
        case .bedrock:
            cloud.awsRegion = name("aws_region")
        case .vertex:
            cloud.project = name("project")
            cloud.location = name("location")
            if let node = map["credentials_file"] {
                cloud.credentialsFile = node.string(what: "'\(what).credentials_file'")
                if cloud.credentialsFile == nil { ok = false }
            }
        case .anthropic:
            break
        }
        if let node = map["endpoint"] {
            cloud.endpoint = node.httpURL(what: "'\(what).endpoint'", allowPath: false)
            if cloud.endpoint == nil { ok = false }
        }
        if let node = map.require("models"), let entries = node.entries(what: "'\(what).models'") {
            // Part of the URL path: a space, '?' or '#' would end it (and '/' would change a Vertex path).
            let forbidden: Set<Character> = kind == .vertex ? [" ", "?", "#", "/"] : [" ", "?", "#"]
            for (key, value) in entries {
                guard let pattern = key.string(what: "a model pattern of '\(what).models'"),
                    let target = value.string(what: "'\(what).models' for '\(pattern)'")
                else {
                    ok = false
                    continue
                }
                if target.isEmpty || target.utf8.count > 256 || target.contains(where: { forbidden.contains($0) }) {
                    value.error("'\(what).models' maps '\(pattern)' to '\(target.prefix(64))', which is not a model id")
                    ok = false
                    continue
                }
                cloud.models.append(ModelMapping(pattern: pattern, target: target))
            }
            if entries.isEmpty {
                node.error("'\(what).models' maps no model: no request could be sent to this region")
                ok = false
            }
        } else {
            ok = false
        }
        return ok ? .some(cloud) : nil
    }
}
