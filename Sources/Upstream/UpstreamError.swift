/// Why an upstream call failed before a complete response arrived.
/// The gateway classifies these as local failures (the upstream said nothing about them).
public enum UpstreamError: Error, Sendable, Equatable, CustomStringConvertible {
    /// DNS, refused or unreachable: nothing was sent, so any request may be retried.
    case connectFailed(String)
    case connectTimeout
    case firstByteTimeout
    case idleTimeout
    case totalTimeout
    /// The connection broke after the request was (maybe) sent.
    case connectionLost(String)
    /// Cancelled by Ballast (client gone, hedge lost, shutdown).
    case cancelled
    /// Anything else libcurl reported.
    case transport(code: Int, message: String)

    /// True when the upstream cannot have started work on the request.
    public var requestNeverSent: Bool {
        switch self {
        case .connectFailed, .connectTimeout: true
        default: false
        }
    }

    public var isTimeout: Bool {
        switch self {
        case .connectTimeout, .firstByteTimeout, .idleTimeout, .totalTimeout: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .connectFailed(let why): "connect failed: \(why)"
        case .connectTimeout: "connect timed out"
        case .firstByteTimeout: "no response before the first-byte timeout"
        case .idleTimeout: "response stalled past the idle timeout"
        case .totalTimeout: "response exceeded the total timeout"
        case .connectionLost(let why): "connection lost: \(why)"
        case .cancelled: "cancelled"
        case .transport(let code, let message): "transport error \(code): \(message)"
        }
    }
}
