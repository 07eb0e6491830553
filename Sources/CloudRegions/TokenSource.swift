public import Upstream

/// Where a cloud credential comes from: the one request that fetches a fresh one, and how to
/// read the answer. Files (a web identity token, a key file) are read at each refresh, as
/// Kubernetes rotates them in place.
public protocol TokenSource: Sendable, CustomStringConvertible {
    /// The token request, or why none can be made (the reason names the file or variable).
    func request(unixSeconds: Double) -> Result<UpstreamRequest, CloudCredentialError>
    /// The credential in the answer and its lifetime in seconds.
    func parse(status: Int, body: [UInt8], unixSeconds: Double) -> Result<(value: String, expiresIn: Double), CloudCredentialError>
}
