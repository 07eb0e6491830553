/// How an upstream call ended, with the timings libcurl measured.
public struct UpstreamCompletion: Sendable {
    /// Nil when a complete response was received (whatever its status).
    public var error: UpstreamError?
    /// Seconds from submission to the response head (time to first byte), if it came.
    public var timeToFirstByte: Double?
    /// Seconds from submission to completion.
    public var duration: Double
    public var bytesReceived: Int
    /// Connections libcurl opened for this call; 0 when it reused a pooled one.
    public var connectionsOpened: Int
    /// Times libcurl sent the request again by itself after a reused connection died (each is
    /// one more copy the upstream may have received).
    public var silentResends: Int

    public var reusedConnection: Bool { connectionsOpened == 0 }

    public init(
        error: UpstreamError?, timeToFirstByte: Double?, duration: Double, bytesReceived: Int,
        connectionsOpened: Int, silentResends: Int = 0
    ) {
        self.error = error
        self.timeToFirstByte = timeToFirstByte
        self.duration = duration
        self.bytesReceived = bytesReceived
        self.connectionsOpened = connectionsOpened
        self.silentResends = silentResends
    }
}
