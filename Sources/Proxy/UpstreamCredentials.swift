package import BallastCore

/// Puts the upstream credentials on a request. Implementations never expose the secret
/// through `description`, so a logged value cannot leak it.
package protocol UpstreamCredentials: Sendable, CustomStringConvertible {
    /// Sets the auth headers of `upstream`, given the headers the client sent.
    func apply(to upstream: inout HTTPHeaders, from client: HTTPHeaders) -> CredentialState

    /// Runs `action` once credentials may be ready again (after a refresh ends).
    func notifyWhenReady(_ action: @escaping @Sendable () -> Void)

    /// `static`, `passthrough` or `oauth`: part of cache keys, never a secret.
    var modeName: String { get }

    /// The upstream answered 401 to a request sent with `headers`. Returns true when a fresh
    /// credential is being fetched, so replaying the request once makes sense.
    func reportUnauthorized(_ headers: HTTPHeaders) -> Bool
}

extension UpstreamCredentials {
    package func notifyWhenReady(_ action: @escaping @Sendable () -> Void) { action() }
    package func reportUnauthorized(_ headers: HTTPHeaders) -> Bool { false }
}
