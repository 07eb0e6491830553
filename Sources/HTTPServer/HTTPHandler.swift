import BallastCore
/// What an `HTTPServer` calls for every complete request.
///
/// A handler answers through `responder`, exactly once, from any thread, now or later.
/// It must not block: the calling thread serves other connections.
public protocol HTTPHandler: Sendable {
    func handle(_ request: HTTPRequest, responder: HTTPResponder)
}

/// A handler made from a closure, handy for small servers and tests.
public struct ClosureHTTPHandler: HTTPHandler {
    private let body: @Sendable (HTTPRequest, HTTPResponder) -> Void

    public init(_ body: @escaping @Sendable (HTTPRequest, HTTPResponder) -> Void) {
        self.body = body
    }

    public func handle(_ request: HTTPRequest, responder: HTTPResponder) {
        body(request, responder)
    }
}
