/// How an attempt failed when no HTTP answer came back, as the upstream client reports it.
///
/// `Resilience` does not import `Upstream`, so the gateway maps its `UpstreamError` onto these
/// cases; keeping the list here lets every policy reason about local failures without knowing
/// libcurl.
public enum TransportFailure: String, Sendable, Hashable, CaseIterable {
    /// DNS, refused, unreachable: nothing was sent.
    case connectFailed
    /// The TCP/TLS handshake did not finish in time: nothing was sent.
    case connectTimeout
    /// The request was sent but no response byte came back in time.
    case firstByteTimeout
    /// The response started and then stalled.
    case idleTimeout
    /// The whole exchange ran past its total timeout.
    case totalTimeout
    /// The connection broke after the request was (maybe) sent.
    case connectionLost

    /// True when the upstream cannot have started work on the request, so a retry can never
    /// run it twice.
    public var requestNeverSent: Bool {
        self == .connectFailed || self == .connectTimeout
    }

    /// True for the timeouts (a sign of an overloaded upstream for the concurrency limit).
    public var isTimeout: Bool {
        switch self {
        case .connectTimeout, .firstByteTimeout, .idleTimeout, .totalTimeout: true
        case .connectFailed, .connectionLost: false
        }
    }
}
