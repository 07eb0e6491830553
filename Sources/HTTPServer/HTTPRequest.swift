import BallastCore
/// A request as the server hands it to a handler: head and the whole (bounded) body.
public struct HTTPRequest: Sendable {
    public var method: String
    /// The path without the query string, e.g. `/v1/messages`.
    public var path: String
    /// The query parameters, decoded, in order.
    public var query: [(name: String, value: String)]
    public var headers: HTTPHeaders
    public var body: [UInt8]
    /// True when the body was larger than the server's `maxBodyBytes`; `body` is then empty.
    /// The server still reads and discards the body so the client gets a clean answer.
    public var bodyExceededLimit: Bool

    public init(method: String, path: String, query: [(name: String, value: String)] = [], headers: HTTPHeaders = [:],
                body: [UInt8] = [], bodyExceededLimit: Bool = false) {
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
