/// TLS to Redis: whom to trust and whom to expect. The server's certificate is always
/// verified; there is no switch to turn that off.
public struct RedisTLS: Sendable, Equatable {
    /// PEM file of the certificate authorities to trust; nil: the system's.
    public var caFile: String?
    /// The name the certificate must carry (and the SNI sent); nil: the host connected to.
    public var serverName: String?
    /// A client certificate (PEM chain) and its key, for servers that ask for one.
    public var clientCertFile: String?
    public var clientKeyFile: String?

    public init(caFile: String? = nil, serverName: String? = nil, clientCertFile: String? = nil, clientKeyFile: String? = nil) {
        self.caFile = caFile
        self.serverName = serverName
        self.clientCertFile = clientCertFile
        self.clientKeyFile = clientKeyFile
    }
}
