import BallastCore
import Yams

/// `shared.redis.tls`: TLS to Redis, also turned on by a `rediss://` URL. The server's
/// certificate is always verified (against `ca_file`, else the system's authorities) for
/// `server_name`, else the URL's host. Paths are relative to the config file's directory.
public struct RedisTLSConfig: Sendable, Equatable {
    public var caFile: String?
    public var serverName: String?
    public var clientCertFile: String?
    public var clientKeyFile: String?

    public init(caFile: String? = nil, serverName: String? = nil, clientCertFile: String? = nil, clientKeyFile: String? = nil) {
        self.caFile = caFile
        self.serverName = serverName
        self.clientCertFile = clientCertFile
        self.clientKeyFile = clientKeyFile
    }

    /// 4 MiB for a CA bundle, certificate or key: Debian's whole system bundle is 200 KB. Only a
    /// regular file is accepted (OpenSSL reads it later; a FIFO would block the connect).
    public static let maxFileBytes = 4 << 20

    static let keys: Set<String> = ["ca_file", "server_name", "client_cert_file", "client_key_file"]
}

extension RedisTLSConfig {
    static func read(_ map: ConfigMapping, path: String, baseDirectory: String?) -> RedisTLSConfig {
        var config = RedisTLSConfig()
        func file(_ key: String) -> String? {
            guard let node = map[key], let text = node.string(what: "'\(path).\(key)'") else { return nil }
            let resolved = ConfigPath.resolve(text, against: baseDirectory)
            guard !text.isEmpty else {
                node.error("'\(path).\(key)' must not be empty")
                return nil
            }
            do {
                try RegularFile.check(path: resolved, maxBytes: Self.maxFileBytes)
            } catch {
                node.error("'\(path).\(key)': \(error)")
                return nil
            }
            return resolved
        }
        config.caFile = file("ca_file")
        config.clientCertFile = file("client_cert_file")
        config.clientKeyFile = file("client_key_file")
        if let node = map["server_name"], let name = node.string(what: "'\(path).server_name'") {
            if name.isEmpty { node.error("'\(path).server_name' must not be empty") } else { config.serverName = name }
        }
        if map.has("client_key_file"), !map.has("client_cert_file"),
            let key = map.entries.first(where: { $0.key.node.string == "client_key_file" })?.key
        {
            key.error("'\(path).client_key_file' needs 'client_cert_file'")
        }
        return config
    }
}
