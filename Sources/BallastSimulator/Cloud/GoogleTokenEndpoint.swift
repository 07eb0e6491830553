import BallastCore
import CloudRegions
import Crypto
import JSON

/// Google's OAuth token endpoint for a service account (`token_uri`), as the simulator's
/// Vertex regions trust it: the JWT-bearer grant, the assertion's RS256 signature verified
/// with the account's public key, its claims checked as Google checks them (`iss` the
/// account, `aud` the token URI, the cloud-platform scope, at most an hour's lifetime, not
/// expired), then an access token from `tokens`, which every Vertex region accepts.
struct GoogleTokenEndpoint: Sendable {
    let account: SimulatedServiceAccount
    /// nil when the configured PEM does not parse (the config reader reports that): every
    /// assertion then fails.
    let publicKey: RSAKey?
    let tokens: IssuedTokenStore

    static let grantType = "urn:ietf:params:oauth:grant-type:jwt-bearer"
    static let scope = "https://www.googleapis.com/auth/cloud-platform"

    init(account: SimulatedServiceAccount, tokens: IssuedTokenStore) {
        self.account = account
        publicKey = try? RSAKey(pem: account.publicKeyPEM)
        self.tokens = tokens
    }

    /// The answer to a token request: status and JSON body.
    /// - Parameters:
    ///   - tokenURL: this endpoint's URL as the client reached it (the expected `aud`).
    ///   - wallTime: Unix seconds, for `iat`/`exp`; `now`: the monotonic instant tokens expire by.
    func answer(body: [UInt8], tokenURL: String, wallTime: Double, now: MonotonicInstant) -> (status: Int, json: String) {
        func refuse(_ error: String, _ description: String) -> (status: Int, json: String) {
            (400, #"{"error":"\#(error)","error_description":"\#(JSONText.escape(description))"}"#)
        }
        guard let form = FormURLEncoding.pairs(body) else { return refuse("invalid_request", "Malformed form body.") }
        func field(_ name: String) -> String? { form.first { $0.name == name }?.value }
        guard field("grant_type") == Self.grantType else {
            return refuse("unsupported_grant_type", "Invalid grant_type: \(field("grant_type") ?? "")")
        }
        guard let assertion = field("assertion") else { return refuse("invalid_request", "Missing required parameter: assertion") }
        if let problem = problem(assertion, tokenURL: tokenURL, wallTime: wallTime) {
            return refuse("invalid_grant", problem)
        }
        let token = tokens.issue(now: now, ttl: Double(account.tokenTTL))
        return (200, #"{"access_token":"\#(token)","expires_in":\#(account.tokenTTL),"token_type":"Bearer"}"#)
    }

    /// Why Google would refuse `assertion`, or nil.
    func problem(_ assertion: String, tokenURL: String, wallTime: Double) -> String? {
        let parts = assertion.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
        guard parts.count == 3, let headerBytes = Base64URL.decode(parts[0]), let claimBytes = Base64URL.decode(parts[1]),
            let signature = Base64URL.decode(parts[2]),
            let header = try? JSONParser.parse(headerBytes), let claims = try? JSONParser.parse(claimBytes)
        else {
            return "Invalid JWT: not three base64url JSON segments."
        }
        guard header["alg"]?.stringValue == "RS256" else { return "Invalid JWT: the algorithm must be RS256." }
        guard let publicKey, publicKey.verifySHA256(signature: signature, data: Array("\(parts[0]).\(parts[1])".utf8)) else {
            return "Invalid JWT Signature."
        }
        guard claims["iss"]?.stringValue == account.clientEmail else { return "Invalid JWT: unknown issuer." }
        guard claims["aud"]?.stringValue == tokenURL else { return "Invalid JWT: the audience must be the token URI \(tokenURL)." }
        guard let scope = claims["scope"]?.stringValue, scope.split(separator: " ").contains(Substring(Self.scope)) else {
            return "Invalid JWT: the cloud-platform scope is missing."
        }
        guard let issued = claims["iat"]?.doubleValue, let expires = claims["exp"]?.doubleValue,
            expires > issued, expires - issued <= 3600, expires > wallTime, issued <= wallTime + 300
        else {
            return "Invalid JWT: Token must be a short-lived token (60 minutes) and in a reasonable timeframe. Check your iat and exp values in the JWT claim."
        }
        return nil
    }
}
