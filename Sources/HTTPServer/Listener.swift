import CMicroHTTPD
import CShims
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// An `HTTPServer`'s listen socket, and the thread that accepts on it and hands each connection
/// to libmicrohttpd (`MHD_add_connection`; the daemon runs with `MHD_USE_NO_LISTEN_SOCKET`).
///
/// The server owns the socket so that stopping to accept is its own business. The way MHD
/// offers, `MHD_quiesce_daemon`, races the daemon's polling threads on an epoll daemon (an open
/// MHD defect): it takes the listen socket out of each thread's epoll set while a thread that
/// sees the daemon quiesced may do the same, and whichever comes second gets ENOENT and MHD
/// aborts the process ("Failed to remove listen FD from epoll set", daemon.c:4976 in the
/// thread, daemon.c:5531 in the quiesce call). `HTTPServerGracefulStopTests` hit it in 7 of 20
/// runs of 400 graceful stops. With the socket ours, `close()` shuts it down instead: the port
/// refuses connections from that moment (quiesced, MHD left them waiting in the listen backlog
/// until the end of the grace period, then reset them), and MHD never touches it.
///
/// Measured against the alternatives (2-core machine, libmicrohttpd 0.9.75, a C loop of 4
/// clients opening a connection per request, 3 s): `MHD_USE_POLL` instead of epoll also avoids
/// the race (quiescing then only wakes the threads, which leave the listen socket out of their
/// next poll), but with 2,000 idle keep-alive connections open it served 2.8-2.9k new
/// connections/s against 19.1-20.5k with epoll, and a gateway keeps many connections open.
/// Refusing in MHD's accept-policy call-back instead of quiescing costs nothing (19.3-19.8k)
/// but accepts each new connection during the grace period and closes it at once (a reset,
/// maybe after the client sent its request), and the port stays open until the daemon stops.
/// This accept thread costs one more thread hop per new connection: 16.7-17.9k new
/// connections/s in that loop, about 12% fewer; requests on kept-alive connections do not go
/// through it (57-58k requests/s either way, 4 clients), and the `overhead` bench saw no
/// difference (medians of 6 runs each: Ballast p50 0.677 ms against 0.678, p99 2.54 against
/// 2.76).
final class Listener: @unchecked Sendable {
    let fd: Int32
    let port: UInt16
    private let closing = Atomic<Bool>(false)
    private let exited = DispatchSemaphore(value: 0)
    private let running = Atomic<Bool>(false)

    /// Binds and listens; throws the errno of the failed call.
    init(host: String, port: UInt16) throws(ListenError) {
        let fd = ballast_tcp_listen(host, port, 0)
        guard fd >= 0 else { throw ListenError(errno: errno) }
        self.fd = fd
        self.port = ballast_socket_port(fd)
    }

    struct ListenError: Error {
        let errno: Int32
    }

    /// Starts accepting: every connection goes to `daemon`. While `openConnections` is at
    /// `connectionLimit` the thread holds the connection it accepted and the next ones stay in
    /// the listen backlog, as they did when MHD accepted (MHD closes a connection added over
    /// its limit at once).
    func run(daemon: DaemonHandle, openConnections: ConnectionCount, connectionLimit: Int) {
        running.store(true, ordering: .relaxed)
        let thread = Thread { [self] in
            var address = sockaddr_storage()
            while !closing.load(ordering: .relaxed) {
                var length = UInt32(MemoryLayout<sockaddr_storage>.size)
                let client = withUnsafeMutablePointer(to: &address) { ballast_accept(fd, $0, &length) }
                guard client >= 0 else {
                    switch errno {
                    case EINTR, ECONNABORTED, EAGAIN:
                        continue
                    default:
                        // EINVAL once `close()` shut the socket down; out of descriptors
                        // (EMFILE, ENFILE) or memory: wait for some to be given back.
                        if !closing.load(ordering: .relaxed) { usleep(10_000) }
                        continue
                    }
                }
                while connectionLimit > 0, openConnections.value >= connectionLimit, !closing.load(ordering: .relaxed) {
                    usleep(1_000)
                }
                if closing.load(ordering: .relaxed) {
                    _ = Glibc.close(client)
                    break
                }
                // MHD takes the socket, closing it itself if it cannot serve it.
                _ = withUnsafePointer(to: &address) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        MHD_add_connection(daemon.pointer, client, $0, socklen_t(length))
                    }
                }
            }
            exited.signal()
        }
        thread.name = "ballast-http-accept"
        thread.start()
    }

    /// Stops accepting and closes the socket. From its return connecting to the port is
    /// refused and nothing more is handed to the daemon. Safe to call more than once.
    func close() {
        guard !closing.exchange(true, ordering: .acquiringAndReleasing) else { return }
        // On Linux shutting a listening socket down takes it out of the listening state (new
        // connections are refused, those not yet accepted are reset) and wakes a blocked
        // accept, which then fails with EINVAL. The descriptor is closed only once the thread
        // is done with it.
        _ = shutdown(fd, Int32(SHUT_RDWR))
        if running.load(ordering: .relaxed) { exited.wait() }
        _ = Glibc.close(fd)
    }
}

/// The connections a daemon holds, from its start and close notifications.
final class ConnectionCount: Sendable {
    private let count = Atomic<Int>(0)

    var value: Int { count.load(ordering: .relaxed) }
    func opened() { count.add(1, ordering: .relaxed) }
    func closed() { count.subtract(1, ordering: .relaxed) }
    func reset() { count.store(0, ordering: .relaxed) }
}

/// The daemon pointer, shareable because MHD's daemon API (`MHD_add_connection` included, with
/// `MHD_USE_ITC`) is thread-safe.
struct DaemonHandle: @unchecked Sendable {
    let pointer: OpaquePointer
}
