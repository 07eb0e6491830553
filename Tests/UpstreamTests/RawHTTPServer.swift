import BallastTesting
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
        let (fd, boundPort) = try LoopbackPort.listening(backlog: 4)
        listener = fd
        port = boundPort
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
