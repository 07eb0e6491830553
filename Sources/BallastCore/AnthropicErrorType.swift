/// The error types of the Anthropic API, with the HTTP status each one travels with.
/// Errors that Ballast itself produces use these so official SDKs recognise them.
public enum AnthropicErrorType: String, Sendable, CaseIterable {
    case invalidRequest = "invalid_request_error"
    case authentication = "authentication_error"
    case billing = "billing_error"
    case permission = "permission_error"
    case notFound = "not_found_error"
    case requestTooLarge = "request_too_large"
    case rateLimit = "rate_limit_error"
    case api = "api_error"
    case timeout = "timeout_error"
    case overloaded = "overloaded_error"

    /// The status the real API answers with for this type.
    public var status: Int {
        switch self {
        case .invalidRequest: 400
        case .authentication: 401
        case .billing: 402
        case .permission: 403
        case .notFound: 404
        case .requestTooLarge: 413
        case .rateLimit: 429
        case .api: 500
        case .timeout: 504
        case .overloaded: 529
        }
    }
}
