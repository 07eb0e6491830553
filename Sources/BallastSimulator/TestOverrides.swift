import BallastCore
import HTTPServer

/// The `x-sim-*` request headers with which a test forces one request's behaviour.
struct TestOverrides: Sendable, Equatable {
    var fault: ForcedFault?
    var outputTokens: Int?
    /// Seconds.
    var tokenInterval: Double?
    /// Seconds.
    var firstByte: Double?
    var deltaBytes: Int?

    /// Largest `x-sim-delta-bytes`: bounds the memory one delta (and its cached copies) takes.
    static let maxDeltaBytes = 8 * 1024 * 1024

    static func parse(_ headers: HTTPHeaders) -> Result<TestOverrides, AnthropicError> {
        var overrides = TestOverrides()
        func invalid(_ message: String) -> Result<TestOverrides, AnthropicError> {
            .failure(AnthropicError(.invalidRequest, message))
        }
        if let value = headers["x-sim-fault"] {
            guard let fault = ForcedFault(headerValue: value) else {
                return invalid("x-sim-fault must be 429, 500, 502, 503, 504, 529, reset, stream_error, stall or spend_limit, not '\(value)'")
            }
            overrides.fault = fault
        }
        if let value = headers["x-sim-output-tokens"] {
            guard let tokens = Int(value), tokens >= 1 else { return invalid("x-sim-output-tokens must be a whole number >= 1, not '\(value)'") }
            overrides.outputTokens = tokens
        }
        if let value = headers["x-sim-token-interval-ms"] {
            guard let ms = Double(value), ms >= 0, ms.isFinite else { return invalid("x-sim-token-interval-ms must be a number >= 0, not '\(value)'") }
            overrides.tokenInterval = ms / 1000
        }
        if let value = headers["x-sim-first-byte-ms"] {
            guard let ms = Double(value), ms >= 0, ms.isFinite else { return invalid("x-sim-first-byte-ms must be a number >= 0, not '\(value)'") }
            overrides.firstByte = ms / 1000
        }
        if let value = headers["x-sim-delta-bytes"] {
            guard let bytes = Int(value), bytes >= 1, bytes <= maxDeltaBytes else {
                return invalid("x-sim-delta-bytes must be a whole number from 1 to \(maxDeltaBytes), not '\(value)'")
            }
            overrides.deltaBytes = bytes
        }
        return .success(overrides)
    }
}
