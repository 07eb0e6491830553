import BallastCore
import CCurl
import CShims
import Synchronization

/// One upstream call in flight: a libcurl easy handle plus its progress.
///
/// Everything but `cancel()` and `resume()` runs on the client's loop thread, which owns
/// the easy handle; those two only post a command to that thread.
public final class UpstreamTransfer: @unchecked Sendable {
    let request: UpstreamRequest
    let delegate: any UpstreamTransferDelegate
    unowned let client: UpstreamClient

    // Loop-thread state.
    var easy: UnsafeMutableRawPointer?
    var headerList: UnsafeMutablePointer<curl_slist>?
    var pendingHead = UpstreamHeadParser()
    var headDelivered = false
    var paused = false
    var bytesReceived = 0
    var startedAt = MonotonicInstant(nanoseconds: 0)
    var firstByteAt: MonotonicInstant?
    var lastActivity = MonotonicInstant(nanoseconds: 0)
    var finished = false
    /// Requests libcurl put on a connection for this call (more than one: it re-sent by itself).
    var sends = 0
    /// Set when a re-send was refused (`UpstreamRequest.silentResend` false).
    var refusedResend = false

    init(request: UpstreamRequest, delegate: any UpstreamTransferDelegate, client: UpstreamClient) {
        self.request = request
        self.delegate = delegate
        self.client = client
    }

    /// Aborts the call; the delegate then completes with `.cancelled` (unless it already
    /// completed). Safe from any thread, any number of times.
    public func cancel() {
        client.post(.cancel(self))
    }

    /// Continues a transfer the delegate paused by refusing bytes.
    public func resume() {
        client.post(.resume(self))
    }

    // MARK: Loop thread

    /// Creates and configures the easy handle. Returns false if libcurl refused.
    func prepare(easy: UnsafeMutableRawPointer, options: UpstreamClientOptions, now: MonotonicInstant) {
        self.easy = easy
        startedAt = now
        lastActivity = now
        let me = Unmanaged.passUnretained(self).toOpaque()
        setLong(CURLOPT_NOSIGNAL, 1)
        setString(CURLOPT_URL, request.url)
        setPointer(CURLOPT_PRIVATE, me)
        setPointer(CURLOPT_WRITEFUNCTION, unsafeBitCast(writeCallback, to: UnsafeMutableRawPointer.self))
        setPointer(CURLOPT_WRITEDATA, me)
        setPointer(CURLOPT_HEADERFUNCTION, unsafeBitCast(headerCallback, to: UnsafeMutableRawPointer.self))
        setPointer(CURLOPT_HEADERDATA, me)
        setLong(CURLOPT_CONNECTTIMEOUT_MS, Int(request.timeouts.connect * 1000))
        setLong(CURLOPT_TIMEOUT_MS, Int(request.timeouts.total * 1000))
        setLong(CURLOPT_MAXAGE_CONN, max(1, Int(options.idleConnectionTimeout)))
        setLong(CURLOPT_TCP_NODELAY, 1)
        setLong(CURLOPT_TCP_KEEPALIVE, 1)
        setLong(CURLOPT_FOLLOWLOCATION, 0)
        // Called each time a request is about to go on a connection: a second call is libcurl
        // re-sending on its own after a reused connection died.
        setPointer(CURLOPT_PREREQFUNCTION, unsafeBitCast(prereqCallback, to: UnsafeMutableRawPointer.self))
        setPointer(CURLOPT_PREREQDATA, me)
        if !request.silentResend { setLong(CURLOPT_FRESH_CONNECT, 1) }
        // The path goes out exactly as given: by default libcurl squashes `/../` and `/./`
        // sequences, which turned a checked `/v1/...` into `/api/keys` (README, "Security"). The proxy
        // refuses such paths itself; this keeps what was checked what is sent.
        setLong(CURLOPT_PATH_AS_IS, 1)
        if options.http2 { setLong(CURLOPT_HTTP_VERSION, CURL_HTTP_VERSION_2TLS) }
        switch request.method {
        case "GET":
            setLong(CURLOPT_HTTPGET, 1)
        case "POST":
            setLong(CURLOPT_POST, 1)
        default:
            setString(CURLOPT_CUSTOMREQUEST, request.method)
        }
        if request.method != "GET" || !request.body.isEmpty {
            _ = ballast_curl_easy_setopt_offset(easy, Int32(CURLOPT_POSTFIELDSIZE_LARGE.rawValue), Int64(request.body.count))
            request.body.withUnsafeBytes { raw in
                // COPYPOSTFIELDS copies, so the body need not outlive this call.
                let base = raw.baseAddress ?? UnsafeRawPointer(bitPattern: 1)!
                _ = ballast_curl_easy_setopt_pointer(
                    easy, Int32(CURLOPT_COPYPOSTFIELDS.rawValue),
                    UnsafeMutableRawPointer(mutating: base))
            }
        }
        var list: UnsafeMutablePointer<curl_slist>?
        for field in request.headers {
            list = curl_slist_append(list, "\(field.name): \(field.value)")
        }
        // No "Expect: 100-continue" round trip, and no compression we would have to undo.
        list = curl_slist_append(list, "Expect:")
        if request.headers["content-type"] == nil { list = curl_slist_append(list, "Content-Type:") }
        headerList = list
        setPointer(CURLOPT_HTTPHEADER, UnsafeMutableRawPointer(list))
    }

    /// Gives up the easy handle (returned to the client's pool by the caller) and frees
    /// the header list; the caller has removed the handle from the multi handle.
    func detach() -> UnsafeMutableRawPointer? {
        defer { easy = nil }
        if let headerList { curl_slist_free_all(headerList) }
        headerList = nil
        return easy
    }

    func completion(error: UpstreamError?, now: MonotonicInstant) -> UpstreamCompletion {
        var connects = 0
        if let easy {
            var value = 0
            if ballast_curl_easy_getinfo_long(easy, Int32(CURLINFO_NUM_CONNECTS.rawValue), &value) == 0 {
                connects = value
            }
        }
        return UpstreamCompletion(
            error: error, timeToFirstByte: firstByteAt.map { $0.seconds(since: startedAt) },
            duration: now.seconds(since: startedAt), bytesReceived: bytesReceived,
            connectionsOpened: connects, silentResends: max(0, sends - 1))
    }

    /// Whether the request may go on a connection now (false refuses a re-send).
    fileprivate func willSend() -> Bool {
        sends += 1
        guard sends > 1, !request.silentResend else { return true }
        refusedResend = true
        return false
    }

    fileprivate func handleHeader(_ line: UnsafeRawBufferPointer) {
        client.noteActivity(self)
        if pendingHead.consume(line), !headDelivered {
            headDelivered = true
            firstByteAt = client.clock.now()
            delegate.upstreamDidReceiveHead(pendingHead.head)
        }
    }

    fileprivate func handleBody(_ bytes: UnsafeRawBufferPointer) -> Int {
        if !headDelivered {
            // A response without a blank line before its body (should not happen): deliver now.
            headDelivered = true
            firstByteAt = client.clock.now()
            delegate.upstreamDidReceiveHead(pendingHead.head)
        }
        if finished { return 0 }
        client.noteActivity(self)
        if delegate.upstreamDidReceive(bytes) {
            bytesReceived += bytes.count
            return bytes.count
        }
        paused = true
        return Int(CURL_WRITEFUNC_PAUSE)
    }

    private func setLong(_ option: CURLoption, _ value: Int) {
        _ = ballast_curl_easy_setopt_long(easy, Int32(option.rawValue), value)
    }

    private func setString(_ option: CURLoption, _ value: String) {
        _ = ballast_curl_easy_setopt_string(easy, Int32(option.rawValue), value)
    }

    private func setPointer(_ option: CURLoption, _ value: UnsafeMutableRawPointer?) {
        _ = ballast_curl_easy_setopt_pointer(easy, Int32(option.rawValue), value)
    }
}

private let writeCallback: curl_write_callback = { data, size, count, context in
    guard let context, let data else { return 0 }
    let transfer = Unmanaged<UpstreamTransfer>.fromOpaque(context).takeUnretainedValue()
    return transfer.handleBody(UnsafeRawBufferPointer(start: data, count: size * count))
}

private let prereqCallback:
    @convention(c) (
        UnsafeMutableRawPointer?, UnsafeMutablePointer<CChar>?,
        UnsafeMutablePointer<CChar>?, Int32, Int32
    ) -> Int32 = { context, _, _, _, _ in
        guard let context else { return Int32(CURL_PREREQFUNC_OK) }
        let transfer = Unmanaged<UpstreamTransfer>.fromOpaque(context).takeUnretainedValue()
        return transfer.willSend() ? Int32(CURL_PREREQFUNC_OK) : Int32(CURL_PREREQFUNC_ABORT)
    }

private let headerCallback: curl_write_callback = { data, size, count, context in
    guard let context, let data else { return 0 }
    let transfer = Unmanaged<UpstreamTransfer>.fromOpaque(context).takeUnretainedValue()
    transfer.handleHeader(UnsafeRawBufferPointer(start: data, count: size * count))
    return size * count
}
