public import BallastCore

/// One HTTP call to an upstream region.
public struct UpstreamRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var timeouts: UpstreamTimeouts
    /// Whether libcurl may send the request again by itself. When a pooled connection turns
    /// out dead after the request went out (the server closed it having read the request),
    /// libcurl silently repeats the request on a new connection, up to five times. Allowed, each
    /// repeat is counted (`UpstreamCompletion.silentResends`); forbidden, the call opens a fresh
    /// connection (libcurl repeats only on reused ones) and any repeat is aborted.
    public var silentResend: Bool

    public init(
        method: String = "POST", url: String, headers: HTTPHeaders = [:], body: [UInt8] = [],
        timeouts: UpstreamTimeouts = UpstreamTimeouts(), silentResend: Bool = true
    ) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
        self.silentResend = silentResend
    }
}
