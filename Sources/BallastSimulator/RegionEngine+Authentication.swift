import BallastCore
import HTTPServer

extension RegionEngine {
    /// The 401 for an API request without valid credentials, or nil when it may go on.
    ///
    /// With the simulator's token issuer, only `Authorization: Bearer <issued token>` is
    /// accepted (`x-api-key` is not), and an expired token gets its own message, so a client
    /// can tell "refresh the token" from "this token was never good". Otherwise the region's
    /// `apiKey`, if any, must come as `x-api-key` or as a bearer token.
    func authenticationError(_ request: HTTPRequest) -> AnthropicError? {
        let bearer = Self.bearerToken(request.headers)
        if let tokens {
            switch tokens.check(bearer, now: clock.now()) {
            case .valid: return nil
            case .expired: return AnthropicError(.authentication, "bearer token expired")
            case .invalid:
                return bearer == nil
                    ? AnthropicError(.authentication, "authorization: Bearer header is required")
                    : AnthropicError(.authentication, "invalid bearer token")
            }
        }
        guard let key = config.apiKey else { return nil }
        guard let given = request.headers["x-api-key"] ?? bearer else {
            return AnthropicError(.authentication, "x-api-key header is required")
        }
        return given == key ? nil : AnthropicError(.authentication, "invalid x-api-key")
    }

    /// The token of an `Authorization: Bearer …` header (scheme in any case), or nil.
    static func bearerToken(_ headers: HTTPHeaders) -> String? {
        guard let authorization = headers["authorization"], authorization.lowercased().hasPrefix("bearer ") else {
            return nil
        }
        return String(String(authorization.dropFirst("bearer ".count)).trimmingSpaces())
    }
}
