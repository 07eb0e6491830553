import BallastCore
import HTTPServer
import Synchronization
import Upstream

/// One client request on its way through Ballast: its attempts against upstream regions,
/// and the bridge that carries the upstream response back to the client.
///
/// Non-streaming answers are buffered and sent with a length, so a failed attempt can still
/// be replaced. Streams (and very large bodies) are relayed chunk by chunk through a
/// bounded `ResponseStream`: when the client reads slowly the upstream transfer pauses,
/// and when the client leaves the transfer is cancelled.
final class ProxiedCall: UpstreamTransferDelegate, @unchecked Sendable {
    enum Phase {
        case awaitingHead
        case buffering(UpstreamResponseHead, [UInt8])
        case streaming(ResponseStream, isEventStream: Bool)
        case done
    }

    struct State {
        var phase: Phase = .awaitingHead
        var attempts = 0
        var tried: Set<String> = []
        var region: Region?
        var transfer: UpstreamTransfer?
        var attemptStartedAt = MonotonicInstant(nanoseconds: 0)
        var clientGone = false
    }

    private let context: ProxyContext
    private let method: String
    private let pathAndQuery: String
    private let headers: HTTPHeaders
    private let body: [UInt8]
    private let responder: HTTPResponder
    private let arrival: MonotonicInstant
    private let state = Mutex(State())

    init(context: ProxyContext, method: String, pathAndQuery: String, headers: HTTPHeaders, body: [UInt8],
         responder: HTTPResponder, arrival: MonotonicInstant) {
        self.context = context
        self.method = method
        self.pathAndQuery = pathAndQuery
        self.headers = headers
        self.body = body
        self.responder = responder
        self.arrival = arrival
    }

    func start() {
        responder.onCancel { [self] in
            let transfer = state.withLock { s -> UpstreamTransfer? in
                s.clientGone = true
                return s.transfer
            }
            transfer?.cancel()
        }
        attemptNext()
    }

    /// Sends the next attempt to a region not tried yet, or answers with an error.
    private func attemptNext(after error: UpstreamError? = nil) {
        let next = state.withLock { s -> Region? in
            guard !s.clientGone, s.attempts < context.options.maxConnectAttempts,
                  let region = context.router.pick(excluding: s.tried) else { return nil }
            s.attempts += 1
            s.tried.insert(region.name)
            s.region = region
            s.phase = .awaitingHead
            s.attemptStartedAt = context.clock.now()
            return region
        }
        guard let region = next else {
            respondWithError(for: error)
            return
        }
        let request = UpstreamRequest(method: method, url: region.baseURL + pathAndQuery, headers: headers,
                                      body: body, timeouts: context.options.timeouts)
        // The handle is stored before the transfer starts: its callbacks may run on the loop
        // thread before `begin` returns, and they need it for pausing and cancelling.
        let transfer = context.client.makeTransfer(request, delegate: self)
        let clientGone = state.withLock { s -> Bool in
            s.transfer = transfer
            return s.clientGone
        }
        guard !clientGone else { return }
        context.client.begin(transfer)
    }

    // MARK: UpstreamTransferDelegate (loop thread)

    func upstreamDidReceiveHead(_ head: UpstreamResponseHead) {
        let contentType = head.headers["content-type"] ?? ""
        let isEventStream = contentType.hasPrefix("text/event-stream")
        let length = head.headers["content-length"].flatMap(Int.init)
        let stream = (200..<300).contains(head.status)
            && (isEventStream || length == nil || length! > context.options.maxBufferedResponseBytes)
        guard stream else {
            state.withLock { $0.phase = .buffering(head, []) }
            return
        }
        let responseStream = ResponseStream(capacity: context.options.streamBufferBytes)
        let (transfer, region, attempts, startedAt) = state.withLock { s in
            s.phase = .streaming(responseStream, isEventStream: isEventStream)
            return (s.transfer, s.region, s.attempts, s.attemptStartedAt)
        }
        responseStream.onDrain { transfer?.resume() }
        responseStream.onCancel { transfer?.cancel() }
        let overhead = startedAt.seconds(since: arrival)
        responder.respond(HTTPResponse(status: head.status,
                                       headers: clientHeaders(from: head.headers, region: region, attempts: attempts,
                                                              overhead: overhead),
                                       body: .stream(responseStream)))
    }

    func upstreamDidReceive(_ bytes: UnsafeRawBufferPointer) -> Bool {
        state.withLock { s -> Bool in
            switch s.phase {
            case .buffering(let head, var collected):
                s.phase = .done  // drop the reference while appending, to avoid a copy
                collected.append(contentsOf: bytes)
                s.phase = .buffering(head, collected)
                return true
            case .streaming(let stream, _):
                // .closed: the client is gone and the transfer is being cancelled; drop.
                return stream.write(bytes) != .full
            case .awaitingHead, .done:
                return true
            }
        }
    }

    func upstreamDidComplete(_ completion: UpstreamCompletion) {
        let (phase, region, attempts, startedAt) = state.withLock { s in
            let phase = s.phase
            s.phase = .done
            s.transfer = nil
            return (phase, s.region, s.attempts, s.attemptStartedAt)
        }
        switch phase {
        case .streaming(let stream, let isEventStream):
            if let error = completion.error, error != .cancelled {
                if isEventStream {
                    // The SDKs surface an SSE `error` event as an API error.
                    stream.write(Self.anthropicError(for: error).sseEvent)
                    stream.finish()
                } else {
                    stream.fail()
                }
            } else {
                stream.finish()
            }
        case .buffering(let head, let collected) where completion.error == nil:
            let overhead = startedAt.seconds(since: arrival)
            responder.respond(HTTPResponse(status: head.status,
                                           headers: clientHeaders(from: head.headers, region: region,
                                                                  attempts: attempts, overhead: overhead),
                                           body: .bytes(collected)))
        case .buffering, .awaitingHead:
            guard let error = completion.error, error != .cancelled else { return }
            if error.requestNeverSent {
                attemptNext(after: error)
            } else {
                respondWithError(for: error)
            }
        case .done:
            break
        }
    }

    // MARK: Answers

    private func respondWithError(for error: UpstreamError?) {
        let (region, attempts) = state.withLock { s in (s.region, s.attempts) }
        let anthropicError = error.map(Self.anthropicError(for:))
            ?? AnthropicError(.overloaded, "no upstream region is available")
        var headers = HTTPHeaders()
        headers.add("content-type", "application/json")
        if let region { headers.add("x-ballast-region", region.name) }
        headers.add("x-ballast-attempts", String(attempts))
        if anthropicError.status == 529 || anthropicError.status == 503 { headers.add("retry-after", "1") }
        responder.respond(HTTPResponse(status: anthropicError.status, headers: headers, text: anthropicError.jsonBody))
    }

    /// The Anthropic-shaped error a client sees for a local failure.
    static func anthropicError(for error: UpstreamError) -> AnthropicError {
        switch error {
        case .connectFailed, .connectTimeout:
            return AnthropicError(.overloaded, "no upstream region is reachable")
        case .firstByteTimeout, .idleTimeout, .totalTimeout:
            return AnthropicError(.timeout, "the upstream did not answer in time (\(error))")
        case .connectionLost, .transport:
            return AnthropicError(.api, "the upstream connection failed (\(error))", status: 502)
        case .cancelled:
            return AnthropicError(.api, "the request was cancelled", status: 499)
        }
    }

    private func clientHeaders(from upstream: HTTPHeaders, region: Region?, attempts: Int,
                               overhead: Double) -> HTTPHeaders {
        var result = HTTPHeaders()
        for field in upstream where !Self.hopByHop.contains(field.name) {
            result.add(field.name, field.value)
        }
        if let region { result.add("x-ballast-region", region.name) }
        result.add("x-ballast-attempts", String(attempts))
        result.add("x-ballast-overhead-ms", Self.milliseconds(overhead))
        return result
    }

    private static func milliseconds(_ seconds: Double) -> String {
        let hundredths = Int((seconds * 100_000).rounded())
        let whole = hundredths / 100
        let fraction = hundredths % 100
        return "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// Headers that describe one connection, not the message; never relayed.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer", "upgrade",
        "proxy-authenticate", "proxy-authorization", "proxy-connection", "date", "server",
    ]
}
