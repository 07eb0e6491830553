import COpenSSL
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// TLS to Redis behind a socketpair. Debian's hiredis (0.14) has no TLS, so hiredis speaks
/// plain RESP on one end of a local socketpair (not a listening port: nothing else can reach
/// it) and this tunnel's thread moves the bytes between the other end and a TLS session with
/// the server, verified against `RedisTLS.caFile` (or the system's authorities) for the
/// server's name or IP address. Connecting and the handshake are bounded by the connect
/// timeout; either side closing closes the other, so hiredis sees a dropped connection and
/// its owner reconnects as for plain TCP.
///
/// `@unchecked Sendable`: after `start` the session and both sockets belong to the tunnel's
/// thread alone; the owner only hands `plainFD` to hiredis.
final class RedisTLSTunnel: @unchecked Sendable {
    /// The end hiredis reads and writes (`redisConnectFd`); hiredis closes it.
    let plainFD: Int32
    private let tunnelFD: Int32
    private let socketFD: Int32
    private let context: OpaquePointer
    private let session: OpaquePointer
    private let peer: String
    private let ended = Mutex<String?>(nil)

    /// Why the session ended, when the server or OpenSSL ended it (nil while it runs, or when
    /// hiredis' side closed first).
    var failure: String? { ended.withLock { $0 } }

    private init(plainFD: Int32, tunnelFD: Int32, socketFD: Int32, context: OpaquePointer, session: OpaquePointer, peer: String) {
        self.plainFD = plainFD
        self.tunnelFD = tunnelFD
        self.socketFD = socketFD
        self.context = context
        self.session = session
        self.peer = peer
    }

    /// Connects to `host:port`, completes the TLS handshake and verifies the server, all within
    /// `timeout` seconds; the tunnel's thread starts at once.
    static func open(host: String, port: Int, tls: RedisTLS, timeout: Double) throws(RedisError) -> RedisTLSTunnel {
        ignoreBrokenPipes
        let deadline = monotonicNow() + timeout
        let peer = "\(host):\(port)"
        ERR_clear_error()
        guard let context = SSL_CTX_new(TLS_client_method()) else { throw .io("TLS: \(opensslError())") }
        var done = false
        defer { if !done { SSL_CTX_free(context) } }
        try configure(context, tls)
        let socketFD = try connect(host: host, port: port, deadline: deadline)
        defer { if !done { close(socketFD) } }
        guard let session = SSL_new(context) else { throw .io("TLS: \(opensslError())") }
        defer { if !done { SSL_free(session) } }
        let name = tls.serverName ?? host
        let parameters = SSL_get0_param(session)
        if isIPAddress(name) {
            X509_VERIFY_PARAM_set1_ip_asc(parameters, name)
        } else {
            X509_VERIFY_PARAM_set1_host(parameters, name, 0)
            _ = ballast_ssl_set_server_name(session, name)
        }
        SSL_set_fd(session, socketFD)
        try handshake(session, socketFD: socketFD, peer: peer, deadline: deadline)
        var pair: [Int32] = [0, 0]
        guard socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair) == 0 else {
            throw .io("TLS: socketpair: \(String(cString: strerror(errno)))")
        }
        setNonBlocking(pair[1])
        done = true
        let tunnel = RedisTLSTunnel(
            plainFD: pair[0], tunnelFD: pair[1], socketFD: socketFD, context: context, session: session,
            peer: peer)
        let thread = Thread { tunnel.run() }
        thread.name = "ballast-redis-tls"
        thread.start()
        return tunnel
    }

    // MARK: Setting up

    /// A peer that resets the connection makes OpenSSL's next write raise SIGPIPE, which would
    /// end the process; `ballast` ignores it from the start, and so does any process that opens
    /// a tunnel (tests included).
    private static let ignoreBrokenPipes: Void = { signal(SIGPIPE, SIG_IGN) }()

    private static func configure(_ context: OpaquePointer, _ tls: RedisTLS) throws(RedisError) {
        _ = ballast_ssl_ctx_require_tls12(context)
        _ = ballast_ssl_ctx_allow_partial_writes(context)
        SSL_CTX_set_verify(context, SSL_VERIFY_PEER, nil)
        if let caFile = tls.caFile {
            guard SSL_CTX_load_verify_locations(context, caFile, nil) == 1 else {
                throw .io("TLS: cannot read the CA file \(caFile): \(opensslError())")
            }
        } else {
            SSL_CTX_set_default_verify_paths(context)
        }
        if let certificate = tls.clientCertFile {
            guard SSL_CTX_use_certificate_chain_file(context, certificate) == 1 else {
                throw .io("TLS: cannot read the client certificate \(certificate): \(opensslError())")
            }
            let key = tls.clientKeyFile ?? certificate
            guard SSL_CTX_use_PrivateKey_file(context, key, SSL_FILETYPE_PEM) == 1, SSL_CTX_check_private_key(context) == 1 else {
                throw .io("TLS: cannot use the client key \(key): \(opensslError())")
            }
        }
    }

    private static func connect(host: String, port: Int, deadline: Double) throws(RedisError) -> Int32 {
        var hints = addrinfo()
        hints.ai_family = AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var addresses: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(host, String(port), &hints, &addresses)
        guard status == 0, let first = addresses else {
            throw .io("cannot resolve \(host): \(String(cString: gai_strerror(status)))")
        }
        defer { freeaddrinfo(addresses) }
        var failure = "no address"
        var next: UnsafeMutablePointer<addrinfo>? = first
        while let address = next {
            next = address.pointee.ai_next
            let fd = socket(address.pointee.ai_family, address.pointee.ai_socktype, address.pointee.ai_protocol)
            guard fd >= 0 else { continue }
            setNonBlocking(fd)
            if Glibc.connect(fd, address.pointee.ai_addr, address.pointee.ai_addrlen) == 0 || errno == EINPROGRESS {
                if wait(fd, for: Int16(POLLOUT), until: deadline) {
                    var error: Int32 = 0
                    var length = socklen_t(MemoryLayout<Int32>.size)
                    getsockopt(fd, SOL_SOCKET, SO_ERROR, &error, &length)
                    if error == 0 {
                        var on: Int32 = 1
                        setsockopt(fd, Int32(IPPROTO_TCP), TCP_NODELAY, &on, socklen_t(MemoryLayout<Int32>.size))
                        setsockopt(fd, SOL_SOCKET, SO_KEEPALIVE, &on, socklen_t(MemoryLayout<Int32>.size))
                        return fd
                    }
                    failure = String(cString: strerror(error))
                } else {
                    failure = "timed out"
                }
            } else {
                failure = String(cString: strerror(errno))
            }
            close(fd)
        }
        throw .io("cannot connect to \(host):\(port): \(failure)")
    }

    private static func handshake(_ session: OpaquePointer, socketFD: Int32, peer: String, deadline: Double) throws(RedisError) {
        while true {
            ERR_clear_error()
            let result = SSL_connect(session)
            if result == 1 { return }
            let error = SSL_get_error(session, result)
            let events: Int32
            switch error {
            case SSL_ERROR_WANT_READ: events = POLLIN
            case SSL_ERROR_WANT_WRITE: events = POLLOUT
            default:
                let verified = SSL_get_verify_result(session)
                if verified != X509_V_OK {
                    throw .io(
                        "TLS handshake with \(peer) failed: certificate not trusted: "
                            + String(cString: X509_verify_cert_error_string(verified)))
                }
                throw .io("TLS handshake with \(peer) failed: \(opensslError())")
            }
            guard wait(socketFD, for: Int16(events), until: deadline) else {
                throw .io("TLS handshake with \(peer) timed out")
            }
        }
    }

    // MARK: The tunnel's thread

    /// Moves bytes both ways until either side closes or fails, then closes everything.
    private func run() {
        var toServer: [UInt8] = []
        var toHiredis: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16_384)
        var wantsWrite = false
        defer { finish() }
        while true {
            // A side with nothing wanted of it is left out (fd -1): poll reports a hang-up
            // whatever is asked, and a hang-up that cannot be acted on yet would make it spin.
            let tunnelEvents = Int16(toServer.isEmpty ? POLLIN : 0) | Int16(toHiredis.isEmpty ? 0 : POLLOUT)
            let socketEvents = Int16(toHiredis.isEmpty ? POLLIN : 0) | Int16(wantsWrite ? POLLOUT : 0)
            var fds = [
                pollfd(fd: tunnelEvents == 0 ? -1 : tunnelFD, events: tunnelEvents, revents: 0),
                pollfd(fd: socketEvents == 0 ? -1 : socketFD, events: socketEvents, revents: 0),
            ]
            let ready = SSL_pending(session) > 0 && toHiredis.isEmpty
            if poll(&fds, 2, ready ? 0 : 1000) < 0, errno != EINTR { return }
            // An error or hang-up is found by the reads below (the server's last alert says why).
            if (fds[0].revents | fds[1].revents) & Int16(POLLNVAL) != 0 { return end("the socket was closed") }
            wantsWrite = false
            // Server -> hiredis: decrypt what has come, then hand it on.
            while toHiredis.isEmpty {
                ERR_clear_error()
                let count = buffer.withUnsafeMutableBytes { SSL_read(session, $0.baseAddress, Int32($0.count)) }
                if count > 0 {
                    toHiredis.append(contentsOf: buffer[0..<Int(count)])
                    continue
                }
                switch SSL_get_error(session, count) {
                case SSL_ERROR_WANT_READ: break
                case SSL_ERROR_WANT_WRITE: wantsWrite = true
                case SSL_ERROR_ZERO_RETURN: return end("the server closed the session")
                default: return end(Self.opensslError(orElse: "the server closed the connection"))
                }
                break
            }
            if !toHiredis.isEmpty {
                let sent = toHiredis.withUnsafeBytes { send(tunnelFD, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if sent > 0 {
                    toHiredis.removeFirst(sent)
                } else if sent < 0, errno != EAGAIN, errno != EINTR {
                    return
                }
            }
            // hiredis -> server: take what it wrote, encrypt and send it.
            if toServer.isEmpty {
                let count = buffer.withUnsafeMutableBytes { recv(tunnelFD, $0.baseAddress, $0.count, 0) }
                if count == 0 { return }
                if count > 0 {
                    toServer.append(contentsOf: buffer[0..<count])
                } else if errno != EAGAIN, errno != EINTR {
                    return
                }
            }
            while !toServer.isEmpty {
                ERR_clear_error()
                let written = toServer.withUnsafeBytes { SSL_write(session, $0.baseAddress, Int32($0.count)) }
                if written > 0 {
                    toServer.removeFirst(Int(written))
                    continue
                }
                switch SSL_get_error(session, written) {
                case SSL_ERROR_WANT_WRITE: wantsWrite = true
                case SSL_ERROR_WANT_READ: break
                default: return end(Self.opensslError(orElse: "the connection failed"))
                }
                break
            }
        }
    }

    private func end(_ reason: String) {
        ended.withLock { $0 = reason }
    }

    private func finish() {
        ERR_clear_error()
        SSL_shutdown(session)
        SSL_free(session)
        SSL_CTX_free(context)
        close(socketFD)
        close(tunnelFD)
    }

    // MARK: Helpers

    private static func wait(_ fd: Int32, for events: Int16, until deadline: Double) -> Bool {
        while true {
            let left = deadline - monotonicNow()
            guard left > 0 else { return false }
            var entry = pollfd(fd: fd, events: events, revents: 0)
            let result = poll(&entry, 1, Int32(max(1, (left * 1000).rounded(.up))))
            if result > 0 { return true }
            if result < 0, errno != EINTR { return false }
        }
    }

    private static func setNonBlocking(_ fd: Int32) {
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK)
    }

    private static func monotonicNow() -> Double {
        var time = timespec()
        clock_gettime(CLOCK_MONOTONIC, &time)
        return Double(time.tv_sec) + Double(time.tv_nsec) / 1e9
    }

    private static func isIPAddress(_ text: String) -> Bool {
        var v4 = in_addr()
        var v6 = in6_addr()
        return inet_pton(AF_INET, text, &v4) == 1 || inet_pton(AF_INET6, text, &v6) == 1
    }

    /// OpenSSL's first queued error, as text (never holds a secret: file names and reasons).
    private static func opensslError(orElse fallback: String = "unknown error") -> String {
        let code = ERR_get_error()
        guard code != 0 else { return fallback }
        var text = [CChar](repeating: 0, count: 256)
        ERR_error_string_n(code, &text, text.count)
        return String(decoding: text.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
