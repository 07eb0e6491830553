import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A loopback server that answers one connection with exactly the bytes given, for header
/// lines no well-behaved server writes (odd case, tabs, colons in values, a 100 block).
final class RawHTTPServer: @unchecked Sendable {
    let port: Int
    private let listener: Int32

    init(response: String) throws {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        listener = fd
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound, listen(fd, 4) == 0 else { throw NSError(domain: "RawHTTPServer", code: 1) }
        port = Int(UInt16(bigEndian: address.sin_port))
        let thread = Thread {
            let connection = accept(fd, nil, nil)
            guard connection >= 0 else { return }
            var buffer = [UInt8](repeating: 0, count: 65_536)
            var request: [UInt8] = []
            // Read the request head and its small body (the test sends a few bytes).
            while !request.containsHeadEnd() {
                let count = recv(connection, &buffer, buffer.count, 0)
                if count <= 0 { break }
                request.append(contentsOf: buffer[0..<count])
            }
            usleep(20_000)
            _ = recv(connection, &buffer, buffer.count, Int32(MSG_DONTWAIT))
            let bytes = Array(response.utf8)
            _ = bytes.withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            shutdown(connection, Int32(SHUT_WR))
            usleep(50_000)
            close(connection)
        }
        thread.start()
    }

    func stop() { close(listener) }
}

private extension [UInt8] {
    func containsHeadEnd() -> Bool {
        guard count >= 4 else { return false }
        for index in 0...(count - 4) where self[index] == 13 && self[index + 1] == 10 && self[index + 2] == 13 && self[index + 3] == 10 {
            return true
        }
        return false
    }
}
