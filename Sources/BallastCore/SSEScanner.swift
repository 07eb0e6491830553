/// Splits a byte stream into server-sent events incrementally, as chunks arrive, without
/// holding more than the event in progress.
///
/// Ballast reads the Messages stream as it relays it: to see an `error` event before any
/// byte reached the client (so the attempt can be retried), and to count tokens from
/// `message_start` and `message_delta` for telemetry.
public struct SSEScanner: Sendable {
    /// Events longer than this are skipped (their bytes are still relayed); a guard against
    /// an upstream that never ends a line.
    public let maxEventBytes: Int
    private var line: [UInt8] = []
    private var name = ""
    private var data: [UInt8] = []
    private var hasData = false
    private var oversized = false

    public init(maxEventBytes: Int = 1024 * 1024) {
        self.maxEventBytes = maxEventBytes
    }

    /// Feeds bytes; returns the events completed by them, in order.
    ///
    /// Works a line at a time (`memchr`-speed search for the newline, bulk appends), so a
    /// gigabyte stream of large deltas costs little more than copying it.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) -> [SSEEvent] {
        var events: [SSEEvent] = []
        var start = 0
        let count = bytes.count
        while start < count {
            guard let newline = bytes[start..<count].firstIndex(of: 0x0A) else {
                appendToLine(UnsafeRawBufferPointer(rebasing: bytes[start..<count]))
                break
            }
            appendToLine(UnsafeRawBufferPointer(rebasing: bytes[start..<newline]))
            if let event = endLine() { events.append(event) }
            start = newline + 1
        }
        return events
    }

    private mutating func appendToLine(_ part: UnsafeRawBufferPointer) {
        guard !part.isEmpty else { return }
        let room = maxEventBytes - line.count
        if part.count <= room {
            line.append(contentsOf: part)
        } else {
            if room > 0 { line.append(contentsOf: UnsafeRawBufferPointer(rebasing: part[0..<room])) }
            oversized = true
        }
    }

    public mutating func feed(_ bytes: [UInt8]) -> [SSEEvent] {
        bytes.withUnsafeBytes { feed($0) }
    }

    private mutating func endLine() -> SSEEvent? {
        defer { line.removeAll(keepingCapacity: true) }
        if line.last == 0x0D { line.removeLast() }
        if line.isEmpty {
            // A blank line dispatches the event.
            defer {
                name = ""
                data.removeAll(keepingCapacity: true)
                hasData = false
                oversized = false
            }
            guard hasData || !name.isEmpty, !oversized else { return nil }
            return SSEEvent(name: name.isEmpty ? "message" : name, data: String(decoding: data, as: UTF8.self))
        }
        if line.first == UInt8(ascii: ":") { return nil }  // a comment (keep-alive)
        let colon = line.firstIndex(of: UInt8(ascii: ":")) ?? line.endIndex
        let field = line[..<colon]
        var value = colon < line.endIndex ? line[(colon + 1)...] : []
        if value.first == UInt8(ascii: " ") { value = value.dropFirst() }
        if field.elementsEqual("event".utf8) {
            name = String(decoding: value, as: UTF8.self)
        } else if field.elementsEqual("data".utf8) {
            if hasData { data.append(0x0A) }
            if data.count + value.count <= maxEventBytes { data.append(contentsOf: value) } else { oversized = true }
            hasData = true
        }
        return nil
    }
}
