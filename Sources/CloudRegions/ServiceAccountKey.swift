import BallastCore
import JSON
public import Crypto
import Foundation

/// A Google service-account key file (`"type": "service_account"`) and the RS256-signed JWT
/// it makes for the OAuth 2.0 JWT-bearer grant at its `token_uri` (RFC 7523).
public struct ServiceAccountKey: Sendable, CustomStringConvertible {
    public var clientEmail: String
    public var keyID: String?
    public var tokenURI: String
    let key: RSAKey

    public static let scope = "https://www.googleapis.com/auth/cloud-platform"
    public static let defaultTokenURI = "https://oauth2.googleapis.com/token"

    /// Reads and checks a key file; errors name the file and the field, never the key.
    public init(file path: String) throws(CloudCredentialError) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CloudCredentialError("cannot read the service-account key file \(path)")
        }
        try self.init(json: [UInt8](data), origin: path)
    }

    public init(json bytes: [UInt8], origin: String) throws(CloudCredentialError) {
        guard let json = try? JSONParser.parse(bytes), json.objectMembers != nil else {
            throw CloudCredentialError("the service-account key file \(origin) is not a JSON object")
        }
        if let type = json["type"]?.stringValue, type != "service_account" {
            throw CloudCredentialError("the key file \(origin) is of type '\(type)', not 'service_account'")
        }
        guard let email = json["client_email"]?.stringValue, !email.isEmpty else {
            throw CloudCredentialError("the service-account key file \(origin) has no 'client_email'")
        }
        guard let pem = json["private_key"]?.stringValue, !pem.isEmpty else {
            throw CloudCredentialError("the service-account key file \(origin) has no 'private_key'")
        }
        do {
            key = try RSAKey(pem: pem)
        } catch {
            throw CloudCredentialError("the 'private_key' of \(origin) is not a PEM RSA private key")
        }
        guard key.isPrivate else { throw CloudCredentialError("the 'private_key' of \(origin) is a public key") }
        clientEmail = email
        keyID = json["private_key_id"]?.stringValue
        tokenURI = json["token_uri"]?.stringValue ?? Self.defaultTokenURI
    }

    public var description: String { "service account \(clientEmail) (key redacted)" }

    /// The signed assertion, valid an hour from `unixSeconds`.
    public func assertion(unixSeconds: Double) throws(CryptoError) -> String {
        let now = Int(unixSeconds)
        var header = #"{"alg":"RS256","typ":"JWT""#
        if let keyID { header += #","kid":"\#(JSONText.escape(keyID))""# }
        header += "}"
        let claims =
            #"{"iss":"\#(JSONText.escape(clientEmail))","scope":"\#(Self.scope)","aud":"\#(JSONText.escape(tokenURI))","iat":\#(now),"exp":\#(now + 3600)}"#
        let signingInput = Base64URL.encode(Array(header.utf8)) + "." + Base64URL.encode(Array(claims.utf8))
        let signature = try key.signSHA256(Array(signingInput.utf8))
        return signingInput + "." + Base64URL.encode(signature)
    }
}
