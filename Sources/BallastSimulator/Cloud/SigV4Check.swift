import BallastCore
import CloudRegions
import Crypto
import HTTPServer

/// What Bedrock checks before it looks at a request: the SigV4 `Authorization` header
/// recomputed from the request as it arrived (method, the path as sent, the signed headers'
/// values, the body's SHA-256) with the account's secret, the credential scope (key id,
/// region, service `bedrock`), the session token, and the request time within 5 minutes of
/// the service's clock. Refusals carry Bedrock's own types and messages.
///
/// The signature arithmetic is `CloudRegions.SigV4Signer.signature`, the gateway's own; what
/// it signs is taken from the received bytes here, so header canonicalisation, path encoding
/// and body hashing over the wire are checked. The independent check of the arithmetic is
/// botocore's, in the e2e suite.
struct SigV4Check: Sendable {
    let account: SimulatedAWSAccount
    let awsRegion: String
    static let service = "bedrock"
    /// AWS refuses a request signed more than 5 minutes before or after its clock.
    static let maxSkewSeconds = 300.0

    /// The refusal for `request` at wall time `now` (Unix seconds), or nil when it is signed right.
    func refusal(_ request: HTTPRequest, now: Double) -> WireError? {
        let authorization = request.headers["authorization"] ?? ""
        if let bearer = RegionEngine.bearerToken(request.headers) {
            // A Bedrock API key (AWS_BEARER_TOKEN_BEDROCK) instead of a signature.
            return bearer == account.bearerToken ? nil : denied("UnrecognizedClientException", "Invalid API Key format: Must start with pre-defined prefix")
        }
        let prefix = SigV4Signer.algorithm + " "
        guard authorization.hasPrefix(prefix) else {
            return denied("MissingAuthenticationTokenException", "Missing Authentication Token")
        }
        var fields: [String: String] = [:]
        for part in authorization.dropFirst(prefix.count).split(separator: ",") {
            let pair = part.split(separator: "=", maxSplits: 1).map { String(String($0).trimmingSpaces()) }
            if pair.count == 2 { fields[pair[0]] = pair[1] }
        }
        guard let credential = fields["Credential"], let signedList = fields["SignedHeaders"], let given = fields["Signature"] else {
            return denied(
                "IncompleteSignatureException",
                "Authorization header requires 'Credential', 'SignedHeaders' and 'Signature' parameters.")
        }
        let scope = credential.split(separator: "/", omittingEmptySubsequences: false).map(String.init)
        guard scope.count == 5, scope[4] == "aws4_request" else {
            return denied("IncompleteSignatureException", "Credential is not of the form key/date/region/service/aws4_request.")
        }
        guard scope[0] == account.accessKeyID, request.headers["x-amz-security-token"] == account.sessionToken else {
            return denied("UnrecognizedClientException", "The security token included in the request is invalid.")
        }
        if scope[2] != awsRegion {
            return denied("InvalidSignatureException", "Credential should be scoped to a valid region. ")
        }
        if scope[3] != Self.service {
            return denied("InvalidSignatureException", "Credential should be scoped to correct service: '\(Self.service)'. ")
        }
        guard let dateText = request.headers["x-amz-date"], let signedAt = AWSTimestamp.parse(dateText) else {
            return denied("IncompleteSignatureException", "Authorization header requires existence of either a 'X-Amz-Date' or a 'Date' header.")
        }
        let time = AWSTimestamp(unixSeconds: signedAt)
        if scope[1] != time.date {
            return denied(
                "InvalidSignatureException",
                "Date in Credential scope does not match YYYYMMDD from ISO-8601 version of date from HTTP: '\(scope[1])' != '\(time.date)'")
        }
        if signedAt < now - Self.maxSkewSeconds {
            return denied(
                "InvalidSignatureException",
                "Signature expired: \(dateText) is now earlier than "
                    + "\(stamp(now - Self.maxSkewSeconds)) (\(stamp(now)) - 5 min.)")
        }
        if signedAt > now + Self.maxSkewSeconds {
            return denied(
                "InvalidSignatureException",
                "Signature not yet current: \(dateText) is still later than "
                    + "\(stamp(now + Self.maxSkewSeconds)) (\(stamp(now)) + 5 min.)")
        }
        let signed = signedList.split(separator: ";").map(String.init)
        guard signed.contains("host"), signed.contains("x-amz-date") else {
            return denied("InvalidSignatureException", "'Host' and 'X-Amz-Date' must be signed.")
        }
        let query = request.query.map { "\(SigV4Signer.uriEncode($0.name, keepSlash: false))=\(SigV4Signer.uriEncode($0.value, keepSlash: false))" }
            .joined(separator: "&")
        let expected = SigV4Signer(service: Self.service, region: awsRegion)
            .signature(
                method: request.method, path: request.rawPath, query: query, headers: request.headers, signedHeaders: signed,
                payloadHash: Hex.encode(Digest.sha256(request.body)), time: time, secretAccessKey: account.secretAccessKey)
        guard expected == given else {
            return denied(
                "InvalidSignatureException",
                "The request signature we calculated does not match the signature you provided. "
                    + "Check your AWS Secret Access Key and signing method. Consult the service documentation for details.")
        }
        return nil
    }

    private func denied(_ type: String, _ message: String) -> WireError {
        .bedrock(403, type, message)
    }

    private func stamp(_ seconds: Double) -> String { AWSTimestamp(unixSeconds: seconds).dateTime }
}
