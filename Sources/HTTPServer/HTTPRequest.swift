public import BallastCore
/// A request as the server hands it to a handler: head and the whole (bounded) body.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path without the query string, percent-decoded by libmicrohttpd, e.g. `/v1/messages`.
    public var path: String
    /// The path exactly as the client sent it (still percent-encoded), for checks that must
    /// tell an encoded `/` or `.` from a plain one.
    public var rawPath: String
    /// The query parameters, decoded, in order.
    public var query: [(name: String, value: String)]
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// True when the body was larger than the server's `maxBodyBytes`; `body` is then empty.
    /// `HTTPServer` never sets it (it answers 413 itself, before the handler); kept for
    /// handlers called directly.
    public var bodyExceededLimit: Bool

    public init(
        method: String, path: String, query: [(name: String, value: String)] = [], headers: HTTPHeaders = [:],
        body: [UInt8] = [], bodyExceededLimit: Bool = false, rawPath: String? = nil
    ) {
        self.rawPath = rawPath ?? path
        self.method = method
        self.path = path
        self.query = query
        self.headers = headers
        self.body = body
        self.bodyExceededLimit = bodyExceededLimit
    }

    /// The first value of one query parameter, or nil.
    public func queryValue(_ name: String) -> String? {
        query.first { $0.name == name }?.value
    }
}
