import BallastCore
import Foundation
import HTTPServer
import JSON

/// The fields of one `POST /v1/oauth/token`, from whichever encoding the client used:
/// a form body (the standard), a JSON body (some clients send one), and the client
/// credentials either in the body or as HTTP Basic auth.
struct TokenGrantRequest: Sendable, Equatable {
    var grantType: String?
    var clientID: String?
    var clientSecret: String?

    static let fieldNames: Set<String> = ["grant_type", "client_id", "client_secret"]

    static func parse(_ request: HTTPRequest) -> Result<TokenGrantRequest, TokenEndpointError> {
        var grant = TokenGrantRequest()
        let mediaType = request.headers["content-type"].map {
            String($0.split(separator: ";", maxSplits: 1).first ?? "").trimmingSpaces().lowercased()
        }
        let fields: [String: String]
        switch mediaType {
        case "application/json"?:
            switch jsonFields(request.body) {
            case .failure(let error): return .failure(error)
            case .success(let value): fields = value
            }
        // curl -d, and most libraries, say form; no content type at all is read as a form too.
        case "application/x-www-form-urlencoded"?, nil, ""?:
            switch formFields(request.body) {
            case .failure(let error): return .failure(error)
            case .success(let value): fields = value
            }
        case let other?:
            return .failure(.invalidRequest("content-type must be application/x-www-form-urlencoded or application/json, not '\(other)'"))
        }
        grant.grantType = fields["grant_type"]
        grant.clientID = fields["client_id"]
        grant.clientSecret = fields["client_secret"]

        guard let authorization = request.headers["authorization"] else { return .success(grant) }
        guard authorization.lowercased().hasPrefix("basic ") else {
            return .failure(.invalidClient("the token endpoint takes HTTP Basic client authentication, not '\(authorization.prefix(while: { $0 != " " }))'"))
        }
        guard let (id, secret) = basicCredentials(String(authorization.dropFirst("basic ".count))) else {
            return .failure(.invalidClient("malformed HTTP Basic credentials"))
        }
        // RFC 6749 §2.3: a client must not use more than one authentication method.
        if grant.clientSecret != nil {
            return .failure(.invalidRequest("client credentials were given both as HTTP Basic auth and in the body"))
        }
        if let bodyID = grant.clientID, bodyID != id {
            return .failure(.invalidRequest("client_id in the body differs from the HTTP Basic user"))
        }
        grant.clientID = id
        grant.clientSecret = secret
        return .success(grant)
    }

    /// A form body's fields; a repeated field is an error (RFC 6749 §3.2).
    private static func formFields(_ body: [UInt8]) -> Result<[String: String], TokenEndpointError> {
        guard let pairs = FormURLEncoding.pairs(body) else {
            return .failure(.invalidRequest("the form body has a malformed %-escape or is not UTF-8"))
        }
        var fields: [String: String] = [:]
        for (name, value) in pairs {
            if fields[name] != nil { return .failure(.invalidRequest("'\(name)' is given more than once")) }
            fields[name] = value
        }
        return .success(fields)
    }

    /// A JSON body's fields: an object whose known members are strings.
    private static func jsonFields(_ body: [UInt8]) -> Result<[String: String], TokenEndpointError> {
        let value: JSONValue
        do {
            value = try JSONParser.parse(body)
        } catch {
            return .failure(.invalidRequest("malformed JSON at byte \(error.offset): \(error.description)"))
        }
        guard case .object(let members) = value else {
            return .failure(.invalidRequest("the JSON body must be an object, not \(value.typeName)"))
        }
        var fields: [String: String] = [:]
        for (key, member) in members where fieldNames.contains(key) {
            guard let text = member.stringValue else {
                return .failure(.invalidRequest("'\(key)' must be a string, not \(member.typeName)"))
            }
            fields[key] = text
        }
        return .success(fields)
    }

    /// `base64(form(id) ":" form(secret))` back to the id and the secret.
    private static func basicCredentials(_ encoded: String) -> (String, String)? {
        guard let data = Data(base64Encoded: String(encoded.trimmingSpaces())) else { return nil }
        let bytes = [UInt8](data)
        guard let colon = bytes.firstIndex(of: UInt8(ascii: ":")),
            let id = FormURLEncoding.decode(bytes[..<colon]),
            let secret = FormURLEncoding.decode(bytes[(colon + 1)...])
        else { return nil }
        return (id, secret)
    }
}
