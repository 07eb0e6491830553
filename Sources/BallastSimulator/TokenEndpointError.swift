import BallastCore
import JSON

/// An error answer of the token endpoint in the OAuth 2.0 shape (RFC 6749 §5.2):
/// `{"error":"invalid_client","error_description":"…"}`, not the Anthropic API's error shape,
/// because that is what an OAuth client library parses.
struct TokenEndpointError: Error, Sendable, Equatable {
    var status: Int
    /// `invalid_request`, `invalid_client`, `unsupported_grant_type`, `temporarily_unavailable`…
    var code: String
    var description: String

    var jsonBody: String {
        #"{"error":"\#(code)","error_description":"\#(JSONText.escape(description))"}"#
    }

    static func invalidRequest(_ description: String) -> TokenEndpointError {
        TokenEndpointError(status: 400, code: "invalid_request", description: description)
    }

    static func invalidClient(_ description: String) -> TokenEndpointError {
        TokenEndpointError(status: 401, code: "invalid_client", description: description)
    }
}
