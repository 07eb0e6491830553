/// A libcrypto failure, with OpenSSL's own reason where it gave one. Never carries key material.
public struct CryptoError: Error, Sendable, Equatable, CustomStringConvertible {
    public var description: String

    public init(_ description: String) { self.description = description }
}
