package import BallastCore

/// `passthrough` mode: the client's own `x-api-key` or `Authorization` travels upstream.
package struct PassthroughCredentials: UpstreamCredentials {
    package init() {}

    package func apply(to upstream: inout HTTPHeaders, from client: HTTPHeaders) -> CredentialState {
        var found = false
        if let key = client["x-api-key"] {
            upstream.set("x-api-key", key)
            found = true
        }
        if let authorization = client["authorization"] {
            upstream.set("authorization", authorization)
            found = true
        }
        return found ? .ready : .unavailable("no API key: send x-api-key or Authorization: Bearer")
    }

    package var modeName: String { "passthrough" }

    package var description: String { "client's own credentials (passthrough)" }
}
