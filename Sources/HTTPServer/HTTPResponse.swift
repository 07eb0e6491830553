public import BallastCore
/// A response a handler gives back: a whole body, or a stream fed as data arrives.
public struct HTTPResponse: Sendable {
    public enum Body: Sendable {
        case bytes([UInt8])
        /// Sent with chunked encoding as the producer writes into it.
        case stream(ResponseStream)
    }

    public var status: Int
    public var headers: HTTPHeaders
    public var body: Body

    public init(status: Int, headers: HTTPHeaders = [:], body: Body = .bytes([])) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    public init(status: Int, headers: HTTPHeaders = [:], text: String) {
        self.init(status: status, headers: headers, body: .bytes(Array(text.utf8)))
    }

    /// A JSON response from already-encoded text.
    public static func json(_ status: Int, _ json: String, headers: HTTPHeaders = [:]) -> HTTPResponse {
        var headers = headers
        headers.set("content-type", "application/json")
        return HTTPResponse(status: status, headers: headers, text: json)
    }
}
