public import BallastCore
import JSON

/// Bedrock's and Vertex's error answers as the Anthropic error a client of the Messages API
/// expects, so the failure classifier (and the SDK) see what they know: `rate_limit_error`
/// (429) for throttling, `overloaded_error` (529) for a service that cannot take work now,
/// `timeout_error`, `api_error`, and the client's own faults as 4xx.
public enum CloudErrorMapping {
    /// Longest cloud message kept in an answer: it reaches clients and logs.
    static let maxMessageBytes = 512

    /// A Bedrock error: `code` from the `x-amzn-errortype` header (`ThrottlingException:http://...`),
    /// the body's `__type` or `code`, or the event stream's `:exception-type` (`throttlingException`).
    public static func bedrock(status: Int, errorType: String?, body: [UInt8]) -> AnthropicError {
        let fields = (try? JSONScanner.scanObject(body, fields: ["message", "Message", "__type", "code"]))?.strings ?? [:]
        var code =
            errorType.map { String($0.split(separator: ":", maxSplits: 1).first ?? "") }
            ?? fields["__type"].map { String($0.split(separator: "#").last ?? "") } ?? fields["code"] ?? ""
        if let first = code.first, first.isLowercase { code = first.uppercased() + code.dropFirst() }
        let message = bounded("bedrock: \(code.isEmpty ? "HTTP \(status)" : code): \(fields["message"] ?? fields["Message"] ?? "no message")")
        switch code {
        case "ThrottlingException", "ServiceQuotaExceededException", "TooManyRequestsException":
            return AnthropicError(.rateLimit, message)
        case "ModelNotReadyException", "ServiceUnavailableException", "ServiceUnavailable":
            return AnthropicError(.overloaded, message)
        case "ModelTimeoutException":
            return AnthropicError(.timeout, message)
        case "InternalServerException", "InternalFailure", "ModelErrorException", "ModelStreamErrorException":
            return AnthropicError(.api, message)
        case "ValidationException", "SerializationException":
            return AnthropicError(.invalidRequest, message)
        case "AccessDeniedException":
            return AnthropicError(.permission, message)
        case "ResourceNotFoundException":
            return AnthropicError(.notFound, message)
        case "UnrecognizedClientException", "InvalidSignatureException", "ExpiredTokenException", "IncompleteSignature",
            "MissingAuthenticationTokenException", "SignatureDoesNotMatch", "InvalidClientTokenId":
            return AnthropicError(.authentication, message)
        default:
            return byStatus(status, message)
        }
    }

    /// A Vertex error: Google's `{"error":{"code","message","status"}}` (sometimes in a list), or
    /// the Anthropic error itself, which Vertex relays for the model's own failures.
    public static func vertex(status: Int, body: [UInt8]) -> AnthropicError {
        var json = try? JSONParser.parse(body)
        if let first = json?.arrayValue?.first { json = first }
        if json?["type"]?.stringValue == "error", let type = json?["error"]?["type"]?.stringValue.flatMap(AnthropicErrorType.init) {
            return AnthropicError(type, bounded("vertex: \(json?["error"]?["message"]?.stringValue ?? type.rawValue)"))
        }
        let error = json?["error"]
        let code = error?["status"]?.stringValue ?? ""
        let message = bounded("vertex: \(code.isEmpty ? "HTTP \(status)" : code): \(error?["message"]?.stringValue ?? "no message")")
        switch code {
        case "RESOURCE_EXHAUSTED": return AnthropicError(.rateLimit, message)
        case "UNAVAILABLE": return AnthropicError(.overloaded, message)
        case "DEADLINE_EXCEEDED": return AnthropicError(.timeout, message)
        case "UNAUTHENTICATED": return AnthropicError(.authentication, message)
        case "PERMISSION_DENIED": return AnthropicError(.permission, message)
        case "NOT_FOUND": return AnthropicError(.notFound, message)
        case "INVALID_ARGUMENT", "FAILED_PRECONDITION", "OUT_OF_RANGE": return AnthropicError(.invalidRequest, message)
        case "INTERNAL", "UNKNOWN": return AnthropicError(.api, message)
        default: return byStatus(status, message)
        }
    }

    static func byStatus(_ status: Int, _ message: String) -> AnthropicError {
        switch status {
        case 429: AnthropicError(.rateLimit, message)
        case 503, 529: AnthropicError(.overloaded, message)
        case 408, 504: AnthropicError(.timeout, message)
        case 401: AnthropicError(.authentication, message)
        case 403: AnthropicError(.permission, message)
        case 404: AnthropicError(.notFound, message)
        case 413: AnthropicError(.requestTooLarge, message)
        case 400..<500: AnthropicError(.invalidRequest, message, status: status)
        default: AnthropicError(.api, message, status: status >= 500 && status < 600 ? status : 502)
        }
    }

    static func bounded(_ text: String) -> String {
        guard text.utf8.count > maxMessageBytes else { return text }
        return String(decoding: text.utf8.prefix(maxMessageBytes), as: UTF8.self) + "..."
    }
}
