/// What a request suffers, chosen from the faults in force and the request's draws.
public enum FaultDecision: Sendable, Equatable {
    case none
    /// The connection is dropped without a response.
    case reset
    /// An error response with this status (429, 500, 502, 503, 504, 529).
    case error(Int)
    /// A 200 stream that carries an `event: error` midway (streamed requests only).
    case streamError
    /// The non-retryable spend-limit 429 (forced with `x-sim-fault: spend_limit` only).
    case spendLimit

    /// One uniform draw splits [0, 1) into reset, each error status in ascending order, then
    /// success, so each ratio is exactly the share of requests that get it.
    public static func choose(faults: FaultSettings, draws: RequestDraws, streaming: Bool) -> FaultDecision {
        var edge = faults.resetRatio
        if draws.outcome < edge { return .reset }
        for status in faults.errorRatios.keys.sorted() {
            edge += faults.errorRatios[status] ?? 0
            if draws.outcome < edge { return .error(status) }
        }
        if streaming, draws.streamError < faults.streamErrorRatio { return .streamError }
        return .none
    }
}
