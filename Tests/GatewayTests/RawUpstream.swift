import Foundation
#if canImport(Glibc)
import Glibc
#endif
import BallastTesting
import Synchronization

/// A minimal HTTP/1.1 upstream on raw sockets, for what a well-behaved server library will not
/// do: read a whole request and then close the connection without a word. Each connection is
/// served by its own thread until the peer or the script closes it.
final class RawUpstream: Sendable {
    enum Action: Sendable {
        /// A 200 with this JSON body; the connection stays open for the next request.
        case answer(String)
        /// Close the connection having read the request, answering nothing.
        case close
    }

    struct Arrival: Sendable, Equatable {
        let method: String
        let path: String
        /// The request's position on its connection (0: the connection's first).
        let indexOnConnection: Int
    }

    private let listener: Int32
    let address: String
    private let arrivals = Mutex<[Arrival]>([])
    private let script: @Sendable (Arrival) -> Action

    init(_ script: @escaping @Sendable (Arrival) -> Action) throws {
        self.script = script
        let (fd, port) = try LoopbackPort.listening()
        listener = fd
        self.address = "127.0.0.1:\(port)"
        let listener = self.listener
        Thread.detachNewThread { [self] in
            while true {
                let connection = accept(listener, nil, nil)
                guard connection >= 0 else { return }  // the listener was shut down
                Thread.detachNewThread { [self] in serve(connection) }
            }
        }
    }

    /// Requests read so far, in arrival order.
    var seen: [Arrival] { arrivals.withLock { $0 } }

    func count(_ method: String, _ path: String) -> Int {
        seen.filter { $0.method == method && $0.path == path }.count
    }

    func stop() {
        shutdown(listener, Int32(SHUT_RDWR))
        close(listener)
    }

    private func serve(_ connection: Int32) {
        defer { close(connection) }
        var buffer: [UInt8] = []
        var index = 0
        while let (method, path) = readRequest(connection, &buffer) {
            let arrival = Arrival(method: method, path: path, indexOnConnection: index)
            arrivals.withLock { $0.append(arrival) }
            index += 1
            switch script(arrival) {
            case .close:
                return
            case .answer(let json):
                let response = "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: \(json.utf8.count)\r\n\r\n\(json)"
                guard writeAll(connection, Array(response.utf8)) else { return }
            }
        }
    }

    /// Reads one request (head and `content-length` body); nil when the peer closed.
    private func readRequest(_ connection: Int32, _ buffer: inout [UInt8]) -> (String, String)? {
        let separator: [UInt8] = [13, 10, 13, 10]
        var headEnd: Int?
        while headEnd == nil {
            if let found = Self.find(separator, in: buffer) {
                headEnd = found
            } else if !fill(connection, &buffer) {
                return nil
            }
        }
        guard let headEnd else { return nil }
        let head = String(decoding: buffer[..<headEnd], as: UTF8.self)
        let lines = head.split(separator: "\r\n")
        let requestLine = lines.first?.split(separator: " ") ?? []
        guard requestLine.count >= 2 else { return nil }
        var length = 0
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == "content-length" {
                length = Int(parts[1].trimmingCharacters(in: .whitespaces)) ?? 0
            }
        }
        let total = headEnd + 4 + length
        while buffer.count < total {
            guard fill(connection, &buffer) else { return nil }
        }
        buffer.removeFirst(total)
        return (String(requestLine[0]), String(requestLine[1]))
    }

    private func fill(_ connection: Int32, _ buffer: inout [UInt8]) -> Bool {
        var chunk = [UInt8](repeating: 0, count: 16 * 1024)
        let count = chunk.withUnsafeMutableBytes { recv(connection, $0.baseAddress, $0.count, 0) }
        guard count > 0 else { return false }
        buffer.append(contentsOf: chunk[..<count])
        return true
    }

    private func writeAll(_ connection: Int32, _ bytes: [UInt8]) -> Bool {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { send(connection, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard written > 0 else { return false }
            offset += written
        }
        return true
    }

    private static func find(_ needle: [UInt8], in haystack: [UInt8]) -> Int? {
        guard haystack.count >= needle.count else { return nil }
        for start in 0...(haystack.count - needle.count) where haystack[start..<(start + needle.count)].elementsEqual(needle) {
            return start
        }
        return nil
    }
}
