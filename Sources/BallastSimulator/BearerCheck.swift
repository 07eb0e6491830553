/// What a region makes of the bearer token of an API request.
enum BearerCheck: Sendable, Equatable {
    case valid
    /// Issued by this simulator, but its lifetime has passed.
    case expired
    /// Not a token this simulator issued, or one it has forgotten or revoked.
    case invalid
}
