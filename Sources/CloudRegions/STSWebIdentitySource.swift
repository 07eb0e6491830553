import BallastCore
import Foundation
public import Upstream

/// EKS IRSA and other web identities: the token in `AWS_WEB_IDENTITY_TOKEN_FILE` exchanged
/// for temporary keys with STS `AssumeRoleWithWebIdentity` (an unsigned call: the token is the
/// proof). The three parts travel through `TokenRefresher` as one value, joined by newlines
/// (none of them can hold one), and `credentials(from:)` takes them apart.
public struct STSWebIdentitySource: TokenSource {
    public var roleARN: String
    public var tokenFile: String
    public var sessionName: String
    /// `AWS_ENDPOINT_URL_STS`, else the regional STS endpoint.
    public var endpoint: String

    public init(roleARN: String, tokenFile: String, sessionName: String, endpoint: String) {
        self.roleARN = roleARN
        self.tokenFile = tokenFile
        self.sessionName = sessionName
        self.endpoint = endpoint
    }

    public var description: String { "STS AssumeRoleWithWebIdentity for \(roleARN) at \(endpoint)" }

    public func request(unixSeconds: Double) -> Result<UpstreamRequest, CloudCredentialError> {
        guard let data = FileManager.default.contents(atPath: tokenFile) else {
            return .failure(CloudCredentialError("cannot read the web identity token file \(tokenFile) (AWS_WEB_IDENTITY_TOKEN_FILE)"))
        }
        let token = String(decoding: data, as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard !token.isEmpty else {
            return .failure(CloudCredentialError("the web identity token file \(tokenFile) (AWS_WEB_IDENTITY_TOKEN_FILE) is empty"))
        }
        let form = [
            ("Action", "AssumeRoleWithWebIdentity"), ("Version", "2011-06-15"), ("RoleArn", roleARN),
            ("RoleSessionName", sessionName), ("WebIdentityToken", token),
        ]
        .map { "\($0.0)=\(PercentEncoding.encode($0.1))" }.joined(separator: "&")
        return .success(
            UpstreamRequest(
                url: endpoint + "/",
                headers: [
                    "content-type": "application/x-www-form-urlencoded",
                    "accept": "application/xml",
                ],
                body: Array(form.utf8), timeouts: CloudTimeouts.token))
    }

    public func parse(status: Int, body: [UInt8], unixSeconds: Double) -> Result<(value: String, expiresIn: Double), CloudCredentialError> {
        let text = String(decoding: body, as: UTF8.self)
        guard status == 200 else {
            let code = Self.element("Code", in: text) ?? "HTTP \(status)"
            return .failure(CloudCredentialError("\(description) answered \(status) \(code)"))
        }
        guard let key = Self.element("AccessKeyId", in: text), let secret = Self.element("SecretAccessKey", in: text),
            let session = Self.element("SessionToken", in: text), let expiration = Self.element("Expiration", in: text),
            let expiresAt = Self.unixSeconds(iso8601: expiration)
        else {
            return .failure(CloudCredentialError("\(description) answered without credentials"))
        }
        return .success(("\(key)\n\(secret)\n\(session)", expiresAt - unixSeconds))
    }

    /// The credentials a refreshed value carries.
    public static func credentials(from value: String) -> AWSCredentials? {
        let parts = value.split(separator: "\n", omittingEmptySubsequences: false)
        guard parts.count == 3 else { return nil }
        return AWSCredentials(accessKeyID: String(parts[0]), secretAccessKey: String(parts[1]), sessionToken: String(parts[2]))
    }

    /// The text of the first `<name>...</name>`: STS's answers are flat enough for this.
    static func element(_ name: String, in xml: String) -> String? {
        guard let open = xml.range(of: "<\(name)>"), let close = xml.range(of: "</\(name)>", range: open.upperBound..<xml.endIndex) else {
            return nil
        }
        return String(xml[open.upperBound..<close.lowerBound]).trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// `2019-11-09T13:34:41Z` (fractions allowed) as Unix seconds.
    static func unixSeconds(iso8601 text: String) -> Double? {
        let formatter = ISO8601DateFormatter()
        if let date = formatter.date(from: text) { return date.timeIntervalSince1970 }
        formatter.formatOptions = [.withInternetDateTime, .withFractionalSeconds]
        return formatter.date(from: text)?.timeIntervalSince1970
    }
}
