/// An AWS access key, with the session token of temporary credentials. `description` shows the
/// key id only: the secret and the token never reach a log line through string interpolation.
public struct AWSCredentials: Sendable, Equatable, CustomStringConvertible {
    public var accessKeyID: String
    public var secretAccessKey: String
    public var sessionToken: String?

    public init(accessKeyID: String, secretAccessKey: String, sessionToken: String? = nil) {
        self.accessKeyID = accessKeyID
        self.secretAccessKey = secretAccessKey
        self.sessionToken = sessionToken
    }

    public var description: String { "AWS credentials \(accessKeyID) (secret redacted)" }
}
