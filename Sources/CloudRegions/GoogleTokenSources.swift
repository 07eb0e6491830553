import BallastCore
import Crypto
public import Upstream
import JSON

/// A Google access token for a service-account key: the signed JWT exchanged at the key's
/// `token_uri`.
public struct ServiceAccountSource: TokenSource {
    public let account: ServiceAccountKey

    public init(account: ServiceAccountKey) { self.account = account }

    public var description: String { "Google token endpoint \(account.tokenURI) for \(account)" }

    public func request(unixSeconds: Double) -> Result<UpstreamRequest, CloudCredentialError> {
        let assertion: String
        do {
            assertion = try account.assertion(unixSeconds: unixSeconds)
        } catch {
            return .failure(CloudCredentialError("signing the JWT of \(account) failed: \(error)"))
        }
        let form = "grant_type=\(PercentEncoding.encode("urn:ietf:params:oauth:grant-type:jwt-bearer"))&assertion=\(assertion)"
        return .success(
            UpstreamRequest(
                url: account.tokenURI,
                headers: [
                    "content-type": "application/x-www-form-urlencoded",
                    "accept": "application/json",
                ],
                body: Array(form.utf8), timeouts: CloudTimeouts.token))
    }

    public func parse(status: Int, body: [UInt8], unixSeconds: Double) -> Result<(value: String, expiresIn: Double), CloudCredentialError> {
        GoogleTokenAnswer.parse(status: status, body: body, from: description)
    }
}

/// A Google access token from the metadata server (GCE, GKE workload identity, Cloud Run):
/// `GCE_METADATA_HOST`, else `metadata.google.internal`.
public struct MetadataServerSource: TokenSource {
    public let host: String

    public init(host: String) { self.host = host }

    public var description: String { "Google metadata server \(host)" }

    public func request(unixSeconds: Double) -> Result<UpstreamRequest, CloudCredentialError> {
        .success(
            UpstreamRequest(
                method: "GET", url: "http://\(host)/computeMetadata/v1/instance/service-accounts/default/token",
                headers: ["metadata-flavor": "Google"], timeouts: CloudTimeouts.token))
    }

    public func parse(status: Int, body: [UInt8], unixSeconds: Double) -> Result<(value: String, expiresIn: Double), CloudCredentialError> {
        GoogleTokenAnswer.parse(status: status, body: body, from: description)
    }
}

enum GoogleTokenAnswer {
    static func parse(status: Int, body: [UInt8], from source: String) -> Result<(value: String, expiresIn: Double), CloudCredentialError> {
        let fields = try? JSONScanner.scanObject(body, fields: ["access_token", "expires_in", "error"])
        guard status == 200 else {
            return .failure(CloudCredentialError("\(source) answered \(status) \(fields?.strings["error"] ?? "")"))
        }
        guard let token = fields?.strings["access_token"], !token.isEmpty,
            let expiresIn = fields?.numbers["expires_in"].flatMap(Double.init)
        else {
            return .failure(CloudCredentialError("\(source) answered without an access token"))
        }
        return .success((token, expiresIn))
    }
}
