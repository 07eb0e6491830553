/// A snapshot of what a region has served, counting API requests only (`/v1/...`);
/// the `/_sim/` control endpoints are not counted.
public struct SimulatorStats: Sendable, Equatable {
    public var requestsReceived = 0
    /// Responses sent, by HTTP status (a stream counts once, under 200, when it starts).
    public var responsesByStatus: [Int: Int] = [:]
    public var streamsActive = 0
    public var streamsCompleted = 0
    /// Streams that ended because the client went away (or the simulator stopped).
    public var streamsAbortedByClient = 0
    /// Streams ended by an injected mid-stream `event: error`.
    public var streamErrors = 0
    /// Connections dropped without a response (reset faults and outages).
    public var resets = 0
    /// Response body bytes handed to the server.
    public var bytesSent: Int64 = 0
    /// Times `refuse_connections` closed the region's listener. Connections refused meanwhile
    /// never reach the region, so they are counted nowhere.
    public var refusalPeriods = 0

    public init() {}

    public func responses(status: Int) -> Int { responsesByStatus[status] ?? 0 }

    /// The JSON of `GET /_sim/stats`.
    public var json: String {
        let statuses = responsesByStatus.keys.sorted().map { "\"\($0)\":\(responsesByStatus[$0] ?? 0)" }
        return "{\"requests_received\":\(requestsReceived),\"responses_by_status\":{\(statuses.joined(separator: ","))},"
            + "\"streams_active\":\(streamsActive),\"streams_completed\":\(streamsCompleted),"
            + "\"streams_aborted_by_client\":\(streamsAbortedByClient),\"stream_errors\":\(streamErrors),"
            + "\"resets\":\(resets),\"bytes_sent\":\(bytesSent),\"refusal_periods\":\(refusalPeriods)}"
    }
}
