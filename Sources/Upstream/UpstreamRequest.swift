import BallastCore

/// One HTTP call to an upstream region.
public struct UpstreamRequest: Sendable {
    public var method: String
    public var url: String
    public var headers: HTTPHeaders
    public var body: [UInt8]
    public var timeouts: UpstreamTimeouts

    public init(method: String = "POST", url: String, headers: HTTPHeaders = [:], body: [UInt8] = [],
                timeouts: UpstreamTimeouts = UpstreamTimeouts()) {
        self.method = method
        self.url = url
        self.headers = headers
        self.body = body
        self.timeouts = timeouts
    }
}
