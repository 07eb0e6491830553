import BallastCore
import BallastTesting
import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// A loopback server that answers one request with `body` behind a 200 head, counting the
/// bytes the kernel has taken from it (`sent`). Its send buffer is small, so once a client
/// stops reading, the count stops short of the body: the evidence a paused transfer really
/// stopped the bytes rather than buffering them on the client's side.
final class CountingHTTPServer: Sendable {
    let port: Int
    private let listener: Int32
    private let sentBytes = Atomic<Int>(0)

    var sent: Int { sentBytes.load(ordering: .acquiring) }

    init(body: [UInt8]) throws {
        let (fd, boundPort) = try LoopbackPort.listening(backlog: 4)
        listener = fd
        port = boundPort
        let thread = Thread { [self] in serve(body) }
        thread.start()
    }

    private func serve(_ body: [UInt8]) {
        let connection = accept(listener, nil, nil)
        guard connection >= 0 else { return }
        defer { close(connection) }
        // 64 KiB asked (the kernel doubles it): what the server side can hold unread.
        var size: Int32 = 65_536
        setsockopt(connection, SOL_SOCKET, SO_SNDBUF, &size, socklen_t(MemoryLayout<Int32>.size))
        var buffer = [UInt8](repeating: 0, count: 16_384)
        var request: [UInt8] = []
        while !request.contains(subsequence: [13, 10, 13, 10]) {
            let count = recv(connection, &buffer, buffer.count, 0)
            if count <= 0 { return }
            request.append(contentsOf: buffer[0..<count])
        }
        let head = Array("HTTP/1.1 200 OK\r\nContent-Length: \(body.count)\r\nContent-Type: application/octet-stream\r\n\r\n".utf8)
        guard head.withUnsafeBytes({ send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == head.count else { return }
        body.withUnsafeBytes { bytes in
            var offset = 0
            while offset < bytes.count {
                let count = send(connection, bytes.baseAddress! + offset, min(16_384, bytes.count - offset), Int32(MSG_NOSIGNAL))
                if count <= 0 { return }
                offset += count
                sentBytes.store(offset, ordering: .releasing)
            }
        }
        // Until the client closes: it reads the last bytes at its own pace.
        while recv(connection, &buffer, buffer.count, 0) > 0 {}
    }

    /// Waits until the server has sent something and then sent nothing more for `quiet`
    /// seconds (its writer is blocked on full socket buffers); false if that does not happen
    /// within `timeout` seconds.
    func stalls(quiet: Double, within timeout: Double) -> Bool {
        let clock = SystemClock()
        let end = clock.now().adding(seconds: timeout)
        var last = sent, since = clock.now()
        while clock.now() < end {
            usleep(10_000)
            let now = sent
            if now != last {
                last = now
                since = clock.now()
            } else if now > 0, clock.now().seconds(since: since) >= quiet {
                return true
            }
        }
        return false
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }
}

private extension [UInt8] {
    func contains(subsequence: [UInt8]) -> Bool {
        guard count >= subsequence.count else { return false }
        return (0...(count - subsequence.count)).contains { self[$0..<($0 + subsequence.count)].elementsEqual(subsequence) }
    }
}
