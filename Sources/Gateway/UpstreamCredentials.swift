import BallastCore

/// Puts the upstream credentials on a request. Implementations never expose the secret
/// through `description`, so a logged value cannot leak it.
public protocol UpstreamCredentials: Sendable, CustomStringConvertible {
    /// Sets the auth headers of `upstream`, given the headers the client sent.
    /// Returns false when no credential is available (the client gets a 401).
    func apply(to upstream: inout HTTPHeaders, from client: HTTPHeaders) -> Bool
}
