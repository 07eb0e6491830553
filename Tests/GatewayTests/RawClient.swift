import BallastCore
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A client that writes bytes on a loopback socket exactly as given (no path normalisation,
/// no framing help), for requests a well-behaved client never sends. Blocking I/O runs on its
/// own thread so a test waiting on it does not hold a cooperative thread.
struct RawClient {
    struct Reply: Sendable {
        var bytes: [UInt8]
        /// Seconds from connecting until the server closed (or reset) the connection; nil when
        /// it was still open at the deadline.
        var closedAfter: Double?
        var text: String { String(decoding: bytes, as: UTF8.self) }
        var status: Int? {
            guard text.hasPrefix("HTTP/1.1 ") else { return nil }
            return Int(text.dropFirst(9).prefix(3))
        }
        var body: String {
            guard let range = text.range(of: "\r\n\r\n") else { return "" }
            return String(text[range.upperBound...])
        }
    }

    /// Connects to `address` ("127.0.0.1:port"), sends `parts` in order (waiting `pause` seconds
    /// between them: the probe's own pace), and reads until the server closes or `deadline`.
    static func exchange(_ address: String, parts: [[UInt8]], pause: Double = 0, deadline: Double = 10) async -> Reply {
        await withCheckedContinuation { continuation in
            let thread = Thread {
                continuation.resume(returning: run(address, parts: parts, pause: pause, deadline: deadline))
            }
            thread.start()
        }
    }

    static func exchange(_ address: String, _ text: String, deadline: Double = 10) async -> Reply {
        await exchange(address, parts: [Array(text.utf8)], deadline: deadline)
    }

    /// The blocking exchange, for a caller on its own thread.
    static func run(_ address: String, parts: [[UInt8]], pause: Double = 0, deadline: Double) -> Reply {
        let clock = SystemClock()
        let start = clock.now()
        let port = UInt16(address.split(separator: ":").last.flatMap { Int($0) } ?? 0)
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(fd) }
        var target = sockaddr_in()
        target.sin_family = sa_family_t(AF_INET)
        target.sin_port = port.bigEndian
        target.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &target) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return Reply(bytes: [], closedAfter: 0) }
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65_536)
        // Reads whatever is there without blocking; true when the server closed.
        func drain() -> Bool {
            while true {
                let n = recv(fd, &buffer, buffer.count, Int32(MSG_DONTWAIT))
                if n > 0 {
                    received.append(contentsOf: buffer[0..<n])
                    continue
                }
                if n == 0 { return true }
                return errno != EAGAIN && errno != EWOULDBLOCK
            }
        }
        for (index, part) in parts.enumerated() {
            if index > 0, pause > 0 { usleep(UInt32(pause * 1_000_000)) }
            var offset = 0
            while offset < part.count {
                let n = part[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
                if n <= 0 {
                    _ = drain()
                    return Reply(bytes: received, closedAfter: clock.now().seconds(since: start))
                }
                offset += n
            }
            if drain() { return Reply(bytes: received, closedAfter: clock.now().seconds(since: start)) }
            if clock.now().seconds(since: start) > deadline { return Reply(bytes: received, closedAfter: nil) }
        }
        var timeout = timeval(tv_sec: 0, tv_usec: 50_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        while clock.now().seconds(since: start) < deadline {
            let n = recv(fd, &buffer, buffer.count, 0)
            if n > 0 {
                received.append(contentsOf: buffer[0..<n])
                continue
            }
            if n == 0 || (errno != EAGAIN && errno != EWOULDBLOCK) {
                return Reply(bytes: received, closedAfter: clock.now().seconds(since: start))
            }
        }
        return Reply(bytes: received, closedAfter: nil)
    }
}
