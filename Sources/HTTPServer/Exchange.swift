import BallastCore
import CMicroHTTPD
import Synchronization

/// One request/response exchange on one MHD connection: the glue between libmicrohttpd's
/// call-back protocol and the `HTTPHandler` / `HTTPResponder` API.
///
/// Lock discipline: `state` guards every suspend and resume of `connection`. MHD threads
/// suspend only inside the access handler or the content reader while holding it; other
/// threads resume only while holding it and only when `suspended` and not `closed`, so a
/// resume never touches a connection MHD has already freed.
final class Exchange: @unchecked Sendable {
    enum Phase {
        case receiving
        case handling
        case awaitingResponse
        case ready(HTTPResponse)
        case responded
        /// The handler asked to drop the connection without an answer (`abortConnection`).
        case dropped
    }

    struct State {
        var phase: Phase = .receiving
        var suspended = false
        var closed = false
        var stream: ResponseStream?
        var cancelHandler: (@Sendable () -> Void)?
        var cancelled = false
    }

    /// `struct MHD_Connection *`, valid until the completion callback has run.
    let connection: OpaquePointer
    unowned let server: HTTPServer
    let method: String
    let path: String
    let rawPath: String
    var headers = HTTPHeaders()
    var query: [(name: String, value: String)] = []
    var body: [UInt8] = []
    let state = Mutex(State())

    init(server: HTTPServer, connection: OpaquePointer, method: String, path: String, rawPath: String) {
        self.server = server
        self.connection = connection
        self.method = method
        self.path = path
        self.rawPath = rawPath
    }

    // MARK: Called on the MHD thread

    /// The final call of the access handler for this request, or the call after a resume.
    func proceed() -> MHD_Result {
        let start = state.withLock { s -> Bool in
            if case .receiving = s.phase {
                s.phase = .handling
                return true
            }
            return false
        }
        if start, server.isDraining {
            // A request arriving on a kept-alive connection while the server stops is refused
            // at once, never suspended: `stop` may already have seen every exchange finished,
            // and MHD aborts the process when stopped with a connection suspended.
            state.withLock { $0.phase = .ready(Self.shuttingDown) }
        } else if start {
            let request = HTTPRequest(
                method: method, path: path, query: query, headers: headers,
                body: body, rawPath: rawPath)
            body = []
            server.handler.handle(request, responder: HTTPResponder(exchange: self))
        }
        return state.withLock { s -> MHD_Result in
            switch s.phase {
            case .ready(let response):
                s.phase = .responded
                return queue(response, state: &s)
            case .handling:
                s.phase = .awaitingResponse
                s.suspended = true
                MHD_suspend_connection(connection)
                return .YES
            case .awaitingResponse:
                // Resumed without a response: only the server's stop does that.
                s.phase = .responded
                return queue(Self.shuttingDown, state: &s)
            case .receiving, .responded:
                return .YES
            case .dropped:
                // MHD_NO from the access handler makes MHD close the connection unanswered.
                return .NO
            }
        }
    }

    static let shuttingDown = HTTPResponse.json(503, #"{"type":"error","error":{"type":"api_error","message":"server is shutting down"}}"#)

    private func queue(_ response: HTTPResponse, state s: inout State) -> MHD_Result {
        let mhdResponse: OpaquePointer?
        switch response.body {
        case .bytes(let bytes):
            mhdResponse = bytes.withUnsafeBytes { raw in
                MHD_create_response_from_buffer(
                    raw.count, UnsafeMutableRawPointer(mutating: raw.baseAddress),
                    .RESPMEM_MUST_COPY)
            }
        case .stream(let stream):
            s.stream = stream
            let context = Unmanaged.passRetained(self).toOpaque()
            mhdResponse = MHD_create_response_from_callback(
                UInt64.max, server.configuration.streamBlockSize,
                streamReader, context, streamReaderFree)
            if mhdResponse == nil {
                Unmanaged<Exchange>.fromOpaque(context).release()
            } else {
                stream.attachReader { [self] in self.resumeForStream() }
            }
        }
        guard let mhdResponse else { return .NO }
        for field in response.headers
        where field.name != "content-length" && field.name != "transfer-encoding"
            && field.name != "connection"
        {
            _ = MHD_add_response_header(mhdResponse, field.name, field.value)
        }
        if server.isDraining {
            _ = MHD_add_response_header(mhdResponse, "connection", "close")
        }
        let result = MHD_queue_response(connection, UInt32(response.status), mhdResponse)
        MHD_destroy_response(mhdResponse)
        return result
    }

    /// The content reader of a streaming response.
    func readStream(into buffer: UnsafeMutableRawPointer, max: Int) -> Int {
        state.withLock { s -> Int in
            guard let stream = s.stream else { return -2 }
            switch stream.read(into: buffer, max: max) {
            case .bytes(let n):
                return n
            case .end:
                return -1  // MHD_CONTENT_READER_END_OF_STREAM
            case .failed:
                return -2  // MHD_CONTENT_READER_END_WITH_ERROR
            case .wouldBlock:
                s.suspended = true
                MHD_suspend_connection(connection)
                return 0
            }
        }
    }

    /// MHD is done with the connection's request: it completed or the client went away.
    func complete(ok: Bool) {
        let (stream, handler) = state.withLock { s -> (ResponseStream?, (@Sendable () -> Void)?) in
            s.closed = true
            var handler: (@Sendable () -> Void)?
            if !ok || !isResponded(s.phase) {
                s.cancelled = true
                handler = s.cancelHandler
            }
            // Always dropped: the handler usually holds what holds the responder, which holds
            // this exchange; kept, that cycle leaked every completed exchange.
            s.cancelHandler = nil
            // Dropping the stream here breaks the exchange <-> stream reference cycle
            // (the stream's wake-up closure holds the exchange).
            let stream = s.stream
            s.stream = nil
            return (stream, handler)
        }
        if !ok { stream?.cancel() }
        handler?()
    }

    private func isResponded(_ phase: Phase) -> Bool {
        if case .responded = phase { return true }
        return false
    }

    // MARK: Called from any thread

    func respond(_ response: HTTPResponse) {
        let rejected = state.withLock { s -> Bool in
            if s.closed { return true }
            switch s.phase {
            case .handling:
                s.phase = .ready(response)
            case .awaitingResponse:
                s.phase = .ready(response)
                resumeLocked(&s)
            default:
                return true
            }
            return false
        }
        if rejected, case .stream(let stream) = response.body { stream.cancel() }
    }

    /// Closes the connection without sending a response, as a crashed upstream would.
    /// Only before a response was given; ignored afterwards, like a second `respond`.
    func abortConnection() {
        state.withLock { s in
            if s.closed { return }
            switch s.phase {
            case .handling:
                s.phase = .dropped
            case .awaitingResponse:
                s.phase = .dropped
                resumeLocked(&s)
            default:
                break
            }
        }
    }

    func onCancel(_ handler: @escaping @Sendable () -> Void) {
        let already = state.withLock { s -> Bool in
            if s.cancelled { return true }
            // Completed normally: nothing will cancel it, and storing the handler would
            // keep a reference cycle alive.
            if s.closed { return false }
            s.cancelHandler = handler
            return false
        }
        if already { handler() }
    }

    private func resumeForStream() {
        state.withLock { resumeLocked(&$0) }
    }

    private func resumeLocked(_ s: inout State) {
        guard s.suspended, !s.closed else { return }
        s.suspended = false
        MHD_resume_connection(connection)
    }

    /// The server is stopping: end whatever is pending so the connection can be closed.
    ///
    /// The stream is cancelled before the connection is resumed: resumed first, the content
    /// reader could find the stream still open and empty and suspend the connection again,
    /// and `MHD_stop_daemon` aborts the process on a suspended connection.
    func abort() {
        state.withLock { $0.stream }?.cancel()
        state.withLock { resumeLocked(&$0) }
        let handler = state.withLock { s -> (@Sendable () -> Void)? in
            guard !s.cancelled else { return nil }
            s.cancelled = true
            defer { s.cancelHandler = nil }
            return s.cancelHandler
        }
        handler?()
    }
}

/// `MHD_ContentReaderCallback` for streaming responses.
private let streamReader: MHD_ContentReaderCallback = { context, _, buffer, max in
    guard let context, let buffer else { return -2 }
    let exchange = Unmanaged<Exchange>.fromOpaque(context).takeUnretainedValue()
    return exchange.readStream(into: UnsafeMutableRawPointer(buffer), max: max)
}

/// `MHD_ContentReaderFreeCallback`: drops the reference the streaming response held.
private let streamReaderFree: MHD_ContentReaderFreeCallback = { context in
    guard let context else { return }
    Unmanaged<Exchange>.fromOpaque(context).release()
}
