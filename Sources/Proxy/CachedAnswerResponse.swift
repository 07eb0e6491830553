import BallastCore
import Cache
import HTTPServer

/// Builds the client's answer from a stored (or just produced) complete Message: as JSON, or
/// as a well-formed SSE stream when the client asked for one.
enum CachedAnswerResponse {
    static func make(body: [UInt8], wantsStream: Bool, source: String) -> HTTPResponse {
        var headers = HTTPHeaders()
        headers.add("x-ballast-cache", source)
        headers.add("x-ballast-attempts", "0")
        if wantsStream, let stream = try? StreamSynthesizer().streamBody(forMessage: body) {
            headers.add("content-type", "text/event-stream")
            headers.add("cache-control", "no-cache")
            return HTTPResponse(status: 200, headers: headers, body: .bytes(stream))
        }
        headers.add("content-type", "application/json")
        return HTTPResponse(status: 200, headers: headers, body: .bytes(body))
    }
}
