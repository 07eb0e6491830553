/// `shutdown`: what SIGTERM does. Readiness goes 503 at once; the proxy keeps accepting for
/// `delay`, so a load balancer or Kubernetes takes the instance out of its endpoints before
/// the listener closes (endpoint removal is asynchronous: a listener closed at once refuses
/// the requests still routed to it); then in-flight requests get up to `grace` to finish.
public struct ShutdownConfig: Sendable, Equatable {
    /// The time between SIGTERM and closing the proxy listener.
    public var delay: Duration
    /// The time in-flight requests and streams get once the listener is closed.
    public var grace: Duration

    public static let keys: Set<String> = ["delay", "grace"]

    public init(delay: Duration = .seconds(5), grace: Duration = .seconds(30)) {
        self.delay = delay
        self.grace = grace
    }
}

extension ShutdownConfig {
    /// `server.drain_timeout`, the older name of `grace`, is still read when `grace` is not
    /// given; both at once is an error, since only one of them can be meant.
    static func read(_ map: ConfigMapping?, drainTimeout: Duration?, drainNode: ConfigNode?) -> ShutdownConfig {
        var config = ShutdownConfig()
        if let drainTimeout { config.grace = drainTimeout }
        guard let map else { return config }
        if let value = map["delay"]?.duration(what: "'shutdown.delay'") { config.delay = .seconds(value) }
        if let node = map["grace"], let value = node.duration(what: "'shutdown.grace'") {
            if drainNode != nil {
                node.error("'shutdown.grace' and 'server.drain_timeout' (its older name) are both given; keep 'shutdown.grace'")
            }
            config.grace = .seconds(value)
        }
        return config
    }
}
