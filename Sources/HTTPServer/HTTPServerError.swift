import BallastCore
/// Why an `HTTPServer` could not start.
public enum HTTPServerError: Error, Sendable, CustomStringConvertible {
    case startFailed(host: String, port: UInt16, errno: Int32)

    public var description: String {
        switch self {
        case let .startFailed(host, port, code):
            let reason = code == 98 ? "address already in use" : code == 99 ? "address not available" : "errno \(code)"
            return "cannot listen on \(host):\(port) (\(reason))"
        }
    }
}
