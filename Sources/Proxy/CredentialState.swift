/// Whether credentials could be put on an upstream request right now.
package enum CredentialState: Sendable, Equatable {
    case ready
    /// A token refresh is under way; ask again when `notifyWhenReady` fires.
    case wait
    /// No credential can be had (for example the token endpoint is down and the token expired).
    case unavailable(String)
}
