import BallastCore
import CMicroHTTPD
import CShims
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An HTTP/1.1 server on libmicrohttpd: epoll, a small pool of polling threads, and
/// connections suspended (not threads blocked) while a handler waits on slow work. The listen
/// socket is the server's own (`Listener`), so a stop closes the port before in-flight
/// exchanges finish.
///
/// It knows nothing about proxying; it turns MHD's call-backs into `HTTPRequest`s for an
/// `HTTPHandler` and writes the `HTTPResponse`s back, streaming ones with back-pressure.
public final class HTTPServer: @unchecked Sendable {
    public let configuration: HTTPServerConfiguration
    let handler: any HTTPHandler
    /// The running daemon, nil while stopped. Held for the whole of `start` and `stop`, so
    /// the two never interleave (a simulator's watcher and a test may both restart a server);
    /// MHD call-backs never take it, so `stop` may wait here for exchanges to finish.
    /// Lock order: `daemon`, then `inFlight` or an exchange's `state`.
    private let daemon = Mutex<Running?>(nil)
    private let inFlight = Mutex<[ObjectIdentifier: Exchange]>([:])
    private let draining = Atomic<Bool>(false)
    private let boundPort = Atomic<UInt16>(0)
    private let openConnections = ConnectionCount()
    /// What this server refused or cut itself (bodies over the limit, header and body deadlines).
    public let refusals = RefusalCounts()
    let watch: ConnectionWatch

    public init(configuration: HTTPServerConfiguration, handler: any HTTPHandler) {
        self.configuration = configuration
        self.handler = handler
        watch = ConnectionWatch(
            headerTimeout: configuration.headerTimeout, bodyIdleTimeout: configuration.bodyIdleTimeout,
            refusals: refusals)
    }

    /// The port the server listens on (the real one after binding port 0). Kept after `stop()`:
    /// it is the port a later `start()` binds again.
    public var port: UInt16 { boundPort.load(ordering: .relaxed) }

    /// "host:port" as a client would dial it.
    public var address: String {
        configuration.host.contains(":") ? "[\(configuration.host)]:\(port)" : "\(configuration.host):\(port)"
    }

    /// Requests received and not yet completed.
    public var inFlightCount: Int { inFlight.withLock { $0.count } }

    var isDraining: Bool { draining.load(ordering: .relaxed) }

    /// Binds and starts serving. After `stop()` it may be called again: it binds the port it
    /// had before (the bound one when the configuration said 0), so clients find the server
    /// where they left it. Does nothing while already running.
    public func start() throws {
        try daemon.withLock { running in
            guard running == nil else { return }
            // A restart must answer keep-alive clients normally again.
            draining.store(false, ordering: .relaxed)
            let bound = boundPort.load(ordering: .relaxed)
            let port = bound != 0 ? bound : configuration.port
            let listener: Listener
            do throws(Listener.ListenError) {
                listener = try Listener(host: configuration.host, port: port)
            } catch {
                throw HTTPServerError.startFailed(host: configuration.host, port: port, errno: error.errno)
            }
            openConnections.reset()
            guard let started = startDaemon() else {
                let code = errno
                listener.close()
                throw HTTPServerError.startFailed(host: configuration.host, port: port, errno: code)
            }
            boundPort.store(listener.port, ordering: .relaxed)
            let handle = DaemonHandle(pointer: started)
            running = Running(daemon: handle, listener: listener)
            watch.start()
            listener.run(daemon: handle, openConnections: openConnections, connectionLimit: configuration.connectionLimit)
        }
    }

    /// The daemon without a listen socket of its own: `Listener` hands it the connections.
    private func startDaemon() -> OpaquePointer? {
        let flags =
            MHD_USE_INTERNAL_POLLING_THREAD.rawValue | MHD_USE_EPOLL.rawValue
            | MHD_ALLOW_SUSPEND_RESUME.rawValue | MHD_USE_ITC.rawValue | MHD_USE_NO_LISTEN_SOCKET.rawValue
        let context = Unmanaged.passUnretained(self).toOpaque()
        var config = ballast_mhd_config()
        config.flags = flags
        config.thread_pool_size = UInt32(max(1, configuration.threads))
        config.connection_limit = UInt32(configuration.connectionLimit)
        config.connection_timeout = UInt32(max(0, configuration.idleConnectionTimeout))
        config.access_handler = unsafeBitCast(accessHandler, to: UnsafeMutableRawPointer.self)
        config.access_handler_cls = context
        config.completed_callback = unsafeBitCast(completedCallback, to: UnsafeMutableRawPointer.self)
        config.completed_callback_cls = context
        config.uri_log_callback = unsafeBitCast(uriLogCallback, to: UnsafeMutableRawPointer.self)
        config.uri_log_callback_cls = context
        config.notify_connection = unsafeBitCast(connectionCallback, to: UnsafeMutableRawPointer.self)
        config.notify_connection_cls = context
        return OpaquePointer(ballast_mhd_start(&config))
    }

    /// Closes the port (new connections are refused from the start), lets in-flight exchanges
    /// finish for up to `gracePeriod` seconds (responses sent meanwhile close their connection),
    /// then ends the rest and stops.
    public func stop(gracePeriod: Double = 0) {
        daemon.withLock { running in
            guard let current = running else { return }
            draining.store(true, ordering: .relaxed)
            // The port closes first, whatever the grace period: connecting is refused from here
            // on, and the daemon gets no more connections. Not MHD_quiesce_daemon: on an epoll
            // daemon it races the polling threads and may abort the process (see `Listener`).
            current.listener.close()
            let clock = SystemClock()
            let deadline = clock.now().adding(seconds: gracePeriod)
            while inFlightCount > 0, clock.now() < deadline {
                usleep(5_000)
            }
            // Let the polling threads act on the resumed connections before the daemon goes
            // (MHD aborts the process when stopped with a connection suspended). Aborting
            // again each round catches a stream response that a handler gave meanwhile. On a
            // loaded machine the threads may take a while to get to them: 0.5 s once was not
            // enough (MHD aborted the test process), so up to 5 s, leaving as soon as all are done.
            let abortDeadline = clock.now().adding(seconds: 5)
            while clock.now() < abortDeadline {
                let remaining = inFlight.withLock { Array($0.values) }
                if remaining.isEmpty { break }
                for exchange in remaining { exchange.abort() }
                usleep(2_000)
            }
            running = nil
            watch.stop()
            MHD_stop_daemon(current.daemon.pointer)
        }
    }

    deinit {
        watch.stop()
        if let current = daemon.withLock({ $0 }) {
            current.listener.close()
            MHD_stop_daemon(current.daemon.pointer)
        }
    }

    // MARK: MHD call-backs

    fileprivate func access(
        connection: OpaquePointer, url: UnsafePointer<CChar>?, method: UnsafePointer<CChar>?,
        uploadData: UnsafePointer<CChar>?, uploadDataSize: UnsafeMutablePointer<Int>,
        requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    ) -> MHD_Result {
        guard let existing = requestContext.pointee else {
            let chunked =
                MHD_lookup_connection_value(connection, .HEADER_KIND, "transfer-encoding")
                .map { String(cString: $0).lowercased().contains("chunked") } ?? false
            let declared = MHD_lookup_connection_value(connection, .HEADER_KIND, "content-length")
                .flatMap { UInt64(String(cString: $0)) }
            let rawTarget = watch.headersComplete(
                UnsafeMutableRawPointer(connection),
                expectsBody: chunked || (declared ?? 0) > 0)
            if let declared, declared > UInt64(configuration.maxBodyBytes) {
                // Answered on this first call, before a byte of the body is read: MHD then closes
                // the connection after the answer instead of reading (or discarding) the body.
                refusals.add("body_too_large")
                watch.idle(UnsafeMutableRawPointer(connection))
                return queueImmediately(connection: connection, response: tooLargeResponse())
            }
            let target = rawTarget ?? url.map { String(cString: $0) } ?? "/"
            let exchange = Exchange(
                server: self, connection: connection,
                method: method.map { String(cString: $0) } ?? "GET",
                path: url.map { String(cString: $0) } ?? "/",
                rawPath: String(target.prefix { $0 != "?" }))
            let exchangeContext = Unmanaged.passUnretained(exchange).toOpaque()
            MHD_get_connection_values(connection, .HEADER_KIND, headerIterator, exchangeContext)
            MHD_get_connection_values(connection, .GET_ARGUMENT_KIND, queryIterator, exchangeContext)
            if let declared, declared > 0 {
                exchange.body.reserveCapacity(Int(declared))
            }
            inFlight.withLock { $0[ObjectIdentifier(exchange)] = exchange }
            // Answering on this first call would make MHD close the connection after the
            // response; return now and answer on a later call.
            requestContext.pointee = Unmanaged.passRetained(exchange).toOpaque()
            return .YES
        }
        let exchange = Unmanaged<Exchange>.fromOpaque(existing).takeUnretainedValue()
        let size = uploadDataSize.pointee
        if size > 0 {
            if exchange.body.count + size > configuration.maxBodyBytes {
                // A chunked body (its size was not declared) passed the limit. MHD 0.9.75 refuses
                // to queue a response while a body is being received (MHD_queue_response returns
                // MHD_NO until the whole body is in, which for a chunk size of FFFFFFFFFFFFFFF is
                // never), so the 413 is written on the socket here and the connection closed.
                refusals.add("body_too_large")
                exchange.body = []
                writeAndClose(connection: connection, response: tooLargeResponse())
                return .NO
            }
            if let uploadData {
                UnsafeRawBufferPointer(start: uploadData, count: size).withMemoryRebound(to: UInt8.self) {
                    exchange.body.append(contentsOf: $0)
                }
            }
            uploadDataSize.pointee = 0
            watch.bodyProgress(UnsafeMutableRawPointer(connection))
            return .YES
        }
        watch.idle(UnsafeMutableRawPointer(connection))
        return exchange.proceed()
    }

    private func tooLargeResponse() -> HTTPResponse {
        let error = AnthropicError(.requestTooLarge, "request body exceeds the limit of \(configuration.maxBodyBytes) bytes")
        return .json(error.status, error.jsonBody, headers: ["connection": "close"])
    }

    private func queueImmediately(connection: OpaquePointer, response: HTTPResponse) -> MHD_Result {
        guard case .bytes(let bytes) = response.body else { return .NO }
        let mhdResponse = bytes.withUnsafeBytes { raw in
            MHD_create_response_from_buffer(raw.count, UnsafeMutableRawPointer(mutating: raw.baseAddress), .RESPMEM_MUST_COPY)
        }
        guard let mhdResponse else { return .NO }
        for field in response.headers { _ = MHD_add_response_header(mhdResponse, field.name, field.value) }
        let result = MHD_queue_response(connection, UInt32(response.status), mhdResponse)
        MHD_destroy_response(mhdResponse)
        return result
    }

    /// Writes a whole response straight on the connection's socket, for the one case where MHD
    /// cannot queue one (mid-body). Safe because this runs on the connection's own polling
    /// thread, MHD has written nothing for this request (at most a `100 Continue`, which a
    /// final answer may follow), the server speaks plain HTTP, and the few hundred bytes fit
    /// an empty socket buffer; the caller then returns MHD_NO, so MHD closes the connection.
    private func writeAndClose(connection: OpaquePointer, response: HTTPResponse) {
        guard case .bytes(let body) = response.body else { return }
        let fd = ballast_mhd_connection_fd(UnsafeMutableRawPointer(connection))
        guard fd >= 0 else { return }
        var head = "HTTP/1.1 \(response.status) \(response.status == 413 ? "Content Too Large" : "Error")\r\n"
        for field in response.headers { head += "\(field.name): \(field.value)\r\n" }
        head += "content-length: \(body.count)\r\n\r\n"
        let bytes = Array(head.utf8) + body
        _ = bytes.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        // The client may still be sending: half-close so the answer is followed by a FIN
        // before MHD's close (a close with unread input sends a reset that can overtake it).
        _ = shutdown(fd, Int32(SHUT_WR))
    }

    fileprivate func requestLine(connection: OpaquePointer, uri: String) {
        watch.requestLine(UnsafeMutableRawPointer(connection), rawTarget: uri)
    }

    fileprivate func connection(_ connection: OpaquePointer, opened: Bool) {
        if opened {
            openConnections.opened()
            watch.opened(UnsafeMutableRawPointer(connection), fd: ballast_mhd_connection_fd(UnsafeMutableRawPointer(connection)))
        } else {
            openConnections.closed()
            watch.closed(UnsafeMutableRawPointer(connection))
        }
    }

    fileprivate func completed(
        requestContext: UnsafeMutablePointer<UnsafeMutableRawPointer?>?,
        termination: MHD_RequestTerminationCode
    ) {
        guard let requestContext, let pointer = requestContext.pointee else { return }
        requestContext.pointee = nil
        let exchange = Unmanaged<Exchange>.fromOpaque(pointer).takeRetainedValue()
        exchange.complete(ok: termination == .REQUEST_TERMINATED_COMPLETED_OK)
        inFlight.withLock { _ = $0.removeValue(forKey: ObjectIdentifier(exchange)) }
    }
}

/// A started server: the daemon and the listen socket that feeds it.
private struct Running: Sendable {
    let daemon: DaemonHandle
    let listener: Listener
}

private let accessHandler: MHD_AccessHandlerCallback = {
    context, connection, url, method, _, uploadData, uploadDataSize, requestContext in
    guard let context, let connection, let uploadDataSize, let requestContext else { return .NO }
    let server = Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue()
    return server.access(
        connection: connection, url: url, method: method, uploadData: uploadData,
        uploadDataSize: uploadDataSize, requestContext: requestContext)
}

private let completedCallback: MHD_RequestCompletedCallback = { context, _, requestContext, termination in
    guard let context else { return }
    let server = Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue()
    server.completed(requestContext: requestContext, termination: termination)
}

/// Called once per request when its request line is parsed, with the target exactly as sent
/// (MHD percent-decodes the URL it hands to the access handler, which hides an encoded `/`).
/// Returns NULL so the access handler's first call still sees an empty request context.
private let uriLogCallback:
    @convention(c) (UnsafeMutableRawPointer?, UnsafePointer<CChar>?, OpaquePointer?)
        -> UnsafeMutableRawPointer? = { context, uri, connection in
            guard let context, let uri, let connection else { return nil }
            let server = Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue()
            server.requestLine(connection: connection, uri: String(cString: uri))
            return nil
        }

private let connectionCallback: MHD_NotifyConnectionCallback = { context, connection, _, code in
    guard let context, let connection else { return }
    let server = Unmanaged<HTTPServer>.fromOpaque(context).takeUnretainedValue()
    // MHD_CONNECTION_NOTIFY_STARTED = 0, MHD_CONNECTION_NOTIFY_CLOSED = 1 (microhttpd.h).
    switch code.rawValue {
    case 0: server.connection(connection, opened: true)
    case 1: server.connection(connection, opened: false)
    default: break
    }
}

private let headerIterator: MHD_KeyValueIterator = { context, _, key, value in
    guard let context, let key else { return .YES }
    let exchange = Unmanaged<Exchange>.fromOpaque(context).takeUnretainedValue()
    exchange.headers.add(String(cString: key), value.map { String(cString: $0) } ?? "")
    return .YES
}

private let queryIterator: MHD_KeyValueIterator = { context, _, key, value in
    guard let context, let key else { return .YES }
    let exchange = Unmanaged<Exchange>.fromOpaque(context).takeUnretainedValue()
    exchange.query.append((String(cString: key), value.map { String(cString: $0) } ?? ""))
    return .YES
}
