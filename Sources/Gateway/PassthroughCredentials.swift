import BallastCore

/// `passthrough` mode: the client's own `x-api-key` or `Authorization` travels upstream.
public struct PassthroughCredentials: UpstreamCredentials {
    public init() {}

    public func apply(to upstream: inout HTTPHeaders, from client: HTTPHeaders) -> Bool {
        var found = false
        if let key = client["x-api-key"] {
            upstream.set("x-api-key", key)
            found = true
        }
        if let authorization = client["authorization"] {
            upstream.set("authorization", authorization)
            found = true
        }
        return found
    }

    public var description: String { "client's own credentials (passthrough)" }
}
