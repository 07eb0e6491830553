/// A cloud credential that cannot be had: missing variables or files at start-up, or a token
/// endpoint's refusal. The text names the variable, file or endpoint, never a secret.
public struct CloudCredentialError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
