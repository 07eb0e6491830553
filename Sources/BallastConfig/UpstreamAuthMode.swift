/// How Ballast authenticates to the upstream API.
public enum UpstreamAuthMode: String, Sendable, Equatable, CaseIterable {
    /// Forward the client's own `x-api-key` / `Authorization` header unchanged.
    case passthrough
    /// Send one API key, read from an environment variable or a file, on every request.
    case `static`
    /// Fetch and refresh a bearer token with the OAuth client-credentials grant.
    case oauth
}
