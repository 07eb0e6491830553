import BallastConfig
import Crypto

extension SimulatorConfigReader {
    /// A region's `kind` and the keys that belong to it: `aws_region` for `bedrock`,
    /// `project` and `location` for `vertex`; each is an error on any other kind.
    static func kind(_ map: ConfigMapping, _ node: ConfigNode) -> SimulatedRegionKind {
        let name = map.string("kind") ?? "anthropic"
        func required(_ key: String) -> String {
            guard let valueNode = map.require(key), let value = valueNode.string(what: "'\(key)'") else { return "" }
            if value.isEmpty { valueNode.error("'\(key)' must not be empty") }
            return value
        }
        func refuse(_ keys: [String]) {
            for key in keys { map[key]?.error("'\(key)' belongs to a region of another kind, not '\(name)'") }
        }
        switch name {
        case "anthropic":
            refuse(["aws_region", "project", "location"])
            return .anthropic
        case "bedrock":
            refuse(["project", "location"])
            return .bedrock(awsRegion: required("aws_region"))
        case "vertex":
            refuse(["aws_region"])
            return .vertex(project: required("project"), location: required("location"))
        default:
            map["kind"]?.error("'kind' must be anthropic, bedrock or vertex, not '\(name)'")
            return .anthropic
        }
    }

    /// The top-level `aws` and `gcp` accounts, each required when a region of its kind is
    /// configured (a cloud region checks credentials, so the config must say which).
    static func readCloudAccounts(_ map: ConfigMapping, into config: inout SimulatorConfig) {
        if let node = map.present("aws"),
            let aws = node.mapping(what: "'aws'", keys: ["access_key_id", "secret_access_key", "session_token", "bearer_token", "clock_ahead"])
        {
            let id = aws.require("access_key_id").flatMap { $0.string(what: "'aws.access_key_id'") } ?? ""
            let secret = aws.require("secret_access_key").flatMap { $0.string(what: "'aws.secret_access_key'") } ?? ""
            config.aws = SimulatedAWSAccount(
                accessKeyID: id, secretAccessKey: secret, sessionToken: aws.string("session_token"),
                bearerToken: aws.string("bearer_token"), clockAhead: aws.duration("clock_ahead") ?? 0)
        }
        if let node = map.present("gcp"),
            let gcp = node.mapping(what: "'gcp'", keys: ["client_email", "public_key", "public_key_file", "token_ttl"])
        {
            let email = gcp.require("client_email").flatMap { $0.string(what: "'gcp.client_email'") } ?? ""
            var pem = gcp.string("public_key")
            if let fileNode = gcp["public_key_file"], let path = fileNode.string(what: "'gcp.public_key_file'") {
                if pem != nil { fileNode.error("give 'public_key' or 'public_key_file', not both") }
                do {
                    pem = try ConfigFile.read(path: path)
                } catch {
                    fileNode.error("'gcp.public_key_file' cannot be read: \(error)")
                }
            }
            if pem == nil, gcp["public_key_file"] == nil { node.error("'gcp' needs 'public_key' or 'public_key_file' (PEM)") }
            if let text = pem, (try? RSAKey(pem: text)) == nil {
                (gcp["public_key"] ?? gcp["public_key_file"] ?? node).error("the 'gcp' public key is not an RSA key in PEM")
            }
            var account = SimulatedServiceAccount(clientEmail: email, publicKeyPEM: pem ?? "")
            if let ttlNode = gcp["token_ttl"], let ttl = ttlNode.duration(what: "'gcp.token_ttl'") {
                if ttl < 1 || ttl != ttl.rounded() || ttl > Double(Int32.max) {
                    ttlNode.error("'gcp.token_ttl' must be a whole number of seconds, at least 1s")
                } else {
                    account.tokenTTL = Int(ttl)
                }
            }
            config.gcp = account
        }
        let regionsNode = map["regions"]
        if config.aws == nil, let region = config.regions.first(where: { if case .bedrock = $0.kind { true } else { false } }) {
            regionsNode?.error("region '\(region.name)' is a bedrock region: the top-level 'aws' account is required")
        }
        if config.gcp == nil, let region = config.regions.first(where: { if case .vertex = $0.kind { true } else { false } }) {
            regionsNode?.error("region '\(region.name)' is a vertex region: the top-level 'gcp' account is required")
        }
    }
}
