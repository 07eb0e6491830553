/// Why a command got no reply. Never carries the password or a value: only what went wrong
/// with the connection.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The client is not connected (Redis unreachable, or reconnecting after a failure).
    case down
    /// Too many commands already queued: Redis is slower than the traffic.
    case overloaded
    /// The connection failed while the command was on it (timeout, reset, protocol error).
    case io(String)
    /// The client was stopped.
    case stopped

    public var description: String {
        switch self {
        case .down: "redis is unreachable"
        case .overloaded: "redis command queue is full"
        case .io(let reason): "redis connection failed: \(reason)"
        case .stopped: "redis client stopped"
        }
    }
}
