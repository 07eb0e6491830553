import BallastCore

extension RequestRecord {
    /// The rollup second: the Unix second in which the request completed,
    /// `floor(time + latency)`. Completion, not arrival, because that is when the outcome is
    /// known: a ten-minute stream that fails shows in the window where it failed, as a
    /// Prometheus counter would. Non-finite times (a bug upstream of telemetry) are clamped
    /// rather than trapping in the conversion to `Int`.
    var completionSecond: Int {
        let end = time + max(latency, 0)
        let usable = end.isFinite ? end : (time.isFinite ? time : 0)
        return Int(min(max(usable, -1e15), 1e15).rounded(.down))
    }
}
