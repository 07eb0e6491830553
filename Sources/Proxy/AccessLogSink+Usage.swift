import BallastCore
import Logging

extension AccessLogSink {
    /// The usage fields of an access line (docs/usage-and-tracing.md): the prompt-cache counts when the usage
    /// is known, `usage` when it is not, the request's cost, and its trace id (to find the
    /// line's trace).
    static func addUsage(_ request: RequestRecord, to metadata: inout Logger.Metadata) {
        switch request.usage.state {
        case .complete, .partial:
            metadata["cache_creation_tokens"] = .stringConvertible(request.usage.cacheCreationInputTokens)
            metadata["cache_read_tokens"] = .stringConvertible(request.usage.cacheReadInputTokens)
            if request.usage.state == .partial { metadata["usage"] = "partial" }
        case .none, .invalid:
            if request.attempts > 0 { metadata["usage"] = "\(request.usage.state.rawValue)" }
        }
        if let cost = request.costUSD { metadata["cost_usd"] = .stringConvertible(cost) }
        if let traceID = request.traceID { metadata["trace_id"] = "\(traceID)" }
    }
}
