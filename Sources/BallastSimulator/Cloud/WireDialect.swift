import BallastCore
import HTTPServer
import JSON

/// An error answer as one API writes it: status, the headers that carry its type, the body.
struct WireError: Error, Sendable {
    var status: Int
    var headers: HTTPHeaders = [:]
    var json: String

    init(_ error: AnthropicError) {
        status = error.status
        json = error.jsonBody
    }

    init(status: Int, headers: HTTPHeaders, json: String) {
        self.status = status
        self.headers = headers
        self.json = json
    }

    /// Bedrock's shape: the type in `x-amzn-ErrorType` (as the service writes it, with its
    /// namespace), the body `{"message": ...}`.
    static func bedrock(_ status: Int, _ type: String, _ message: String) -> WireError {
        WireError(
            status: status, headers: ["x-amzn-errortype": "\(type):http://internal.amazon.com/coral/com.amazon.bedrock/"],
            json: #"{"message":"\#(JSONText.escape(message))"}"#)
    }

    /// Google's shape: `{"error": {"code", "message", "status"}}`.
    static func google(_ status: Int, _ code: String, _ message: String) -> WireError {
        WireError(
            status: status, headers: [:],
            json: #"{"error":{"code":\#(status),"message":"\#(JSONText.escape(message))","status":"\#(code)"}}"#)
    }
}

/// Which API's wire shapes a region answers in: the Anthropic API's, or a cloud's. The
/// region's faults, pacing and limits are the same; only the envelope differs.
enum WireDialect: Sendable, Equatable {
    case anthropic, bedrock, vertex

    init(_ kind: SimulatedRegionKind) {
        switch kind {
        case .anthropic: self = .anthropic
        case .bedrock: self = .bedrock
        case .vertex: self = .vertex
        }
    }

    /// An injected fault (`error_ratio`, schedule, `x-sim-fault`) as this API reports it.
    /// Bedrock has no 529: an overloaded model is `ServiceUnavailableException` (503), and a
    /// timeout `ModelTimeoutException` (408). Vertex relays the model's own 529
    /// `overloaded_error` in the Anthropic shape and reports its own failures in Google's.
    func fault(_ status: Int) -> WireError {
        switch self {
        case .anthropic:
            return WireError(RegionEngine.upstreamError(status))
        case .bedrock:
            switch status {
            case 429: return .bedrock(429, "ThrottlingException", "Too many requests, please wait before trying again.")
            case 503: return .bedrock(503, "ServiceUnavailableException", "Bedrock is unable to process your request.")
            case 529: return .bedrock(503, "ServiceUnavailableException", "The model is overloaded. Try your request again later.")
            case 504: return .bedrock(408, "ModelTimeoutException", "Model has timed out in processing the request.")
            default: return .bedrock(500, "InternalServerException", "The server encountered an internal error.")
            }
        case .vertex:
            switch status {
            case 429:
                return .google(
                    429, "RESOURCE_EXHAUSTED",
                    "Quota exceeded for aiplatform.googleapis.com/online_prediction_requests_per_base_model.")
            case 503: return .google(503, "UNAVAILABLE", "The service is currently unavailable.")
            case 529: return WireError(AnthropicError(.overloaded, "Overloaded", status: 529))
            case 504: return .google(504, "DEADLINE_EXCEEDED", "Deadline expired before operation could complete.")
            default: return .google(500, "INTERNAL", "Internal error encountered.")
            }
        }
    }

    /// A refused body (the Messages validation or a missing rewrite) as this API reports it.
    func invalid(_ message: String) -> WireError {
        switch self {
        case .anthropic: WireError(AnthropicError(.invalidRequest, message))
        case .bedrock: .bedrock(400, "ValidationException", message)
        case .vertex: .google(400, "INVALID_ARGUMENT", message)
        }
    }

    /// An unknown operation or model path.
    func notFound(_ message: String) -> WireError {
        switch self {
        case .anthropic: WireError(AnthropicError(.notFound, message))
        case .bedrock: .bedrock(404, "ResourceNotFoundException", message)
        case .vertex: .google(404, "NOT_FOUND", message)
        }
    }

    /// The body an API error of the Messages validation becomes.
    func from(_ error: AnthropicError) -> WireError {
        switch error.type {
        case .invalidRequest: invalid(error.message)
        case .requestTooLarge where self == .bedrock: .bedrock(400, "ValidationException", "Input is too long for requested model.")
        case .requestTooLarge where self == .vertex: .google(413, "INVALID_ARGUMENT", error.message)
        default: self == .anthropic ? WireError(error) : fault(error.status)
        }
    }
}
