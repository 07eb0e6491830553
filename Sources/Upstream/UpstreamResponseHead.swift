public import BallastCore

/// The status line and headers of an upstream response, delivered before any body byte.
public struct UpstreamResponseHead: Sendable {
    public var status: Int
    public var headers: HTTPHeaders

    public init(status: Int, headers: HTTPHeaders) {
        self.status = status
        self.headers = headers
    }
}
