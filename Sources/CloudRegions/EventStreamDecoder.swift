/// Incremental decoder of AWS event-stream messages, fed the body as it arrives in chunks of
/// any size.
///
/// Wire format (each integer big-endian): total length (4), headers length (4), prelude CRC
/// (4, over the 8 bytes before it), headers, payload, message CRC (4, over everything before
/// it). Both CRCs are checked before a message is returned.
///
/// Memory is bounded: at most one message is buffered, and a message whose declared length is
/// above `maxMessageBytes` is refused from its prelude alone, before its bytes arrive.
public struct EventStreamDecoder: Sendable {
    /// AWS's own limit for one message is 16 MiB; Bedrock's chunks are a few hundred bytes.
    /// 1 MiB keeps a hostile length from making Ballast buffer 16 MiB per stream.
    public static let defaultMaxMessageBytes = 1 << 20
    static let preludeBytes = 12
    static let minimumMessageBytes = 16

    public let maxMessageBytes: Int
    private var buffer: [UInt8] = []
    /// Where the unread bytes of `buffer` start (compacted once a message is taken).
    private var start = 0
    private var failed: EventStreamError?

    public init(maxMessageBytes: Int = EventStreamDecoder.defaultMaxMessageBytes) {
        self.maxMessageBytes = maxMessageBytes
    }

    /// Bytes received but not yet part of a whole message.
    public var pendingBytes: Int { buffer.count - start }

    /// Adds `bytes` and returns every message they complete. After an error every later call
    /// throws the same error.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) throws(EventStreamError) -> [EventStreamMessage] {
        if let failed { throw failed }
        buffer.append(contentsOf: bytes)
        var messages: [EventStreamMessage] = []
        do throws(EventStreamError) {
            while let message = try next() { messages.append(message) }
        } catch {
            failed = error
            buffer = []
            start = 0
            throw error
        }
        if start > 0 {
            buffer.removeFirst(start)
            start = 0
        }
        return messages
    }

    public mutating func feed(_ bytes: [UInt8]) throws(EventStreamError) -> [EventStreamMessage] {
        var result: Result<[EventStreamMessage], EventStreamError> = .success([])
        bytes.withUnsafeBytes { raw in
            do throws(EventStreamError) { result = .success(try feed(raw)) } catch { result = .failure(error) }
        }
        return try result.get()
    }

    /// Call when the body ended: throws when it ended inside a message.
    public func finish() throws(EventStreamError) {
        if let failed { throw failed }
        if pendingBytes > 0 { throw .truncated(pendingBytes) }
    }

    private mutating func next() throws(EventStreamError) -> EventStreamMessage? {
        let available = buffer.count - start
        guard available >= Self.preludeBytes else { return nil }
        let total = Int(Self.uint32(buffer, start))
        let headersLength = Int(Self.uint32(buffer, start + 4))
        let preludeCRC = Self.uint32(buffer, start + 8)
        guard CRC32.checksum(buffer[start..<(start + 8)]) == preludeCRC else { throw .preludeCRCMismatch }
        guard total >= Self.minimumMessageBytes, total <= maxMessageBytes else { throw .badLength(total) }
        guard headersLength <= total - Self.minimumMessageBytes else {
            throw .badHeaders("headers length \(headersLength) exceeds the message")
        }
        guard available >= total else { return nil }
        let end = start + total
        let messageCRC = Self.uint32(buffer, end - 4)
        guard CRC32.checksum(buffer[start..<(end - 4)]) == messageCRC else { throw .messageCRCMismatch }
        let headersStart = start + Self.preludeBytes
        let headers = try Self.headers(buffer, from: headersStart, to: headersStart + headersLength)
        let payload = Array(buffer[(headersStart + headersLength)..<(end - 4)])
        start = end
        return EventStreamMessage(headers: headers, payload: payload)
    }

    static func uint32(_ bytes: [UInt8], _ at: Int) -> UInt32 {
        UInt32(bytes[at]) << 24 | UInt32(bytes[at + 1]) << 16 | UInt32(bytes[at + 2]) << 8 | UInt32(bytes[at + 3])
    }

    private static func integer(_ bytes: [UInt8], _ at: Int, _ count: Int) -> UInt64 {
        var value: UInt64 = 0
        for index in at..<(at + count) { value = value << 8 | UInt64(bytes[index]) }
        return value
    }

    static func headers(
        _ bytes: [UInt8], from: Int, to end: Int
    ) throws(EventStreamError)
        -> [(name: String, value: EventStreamMessage.HeaderValue)]
    {
        var headers: [(name: String, value: EventStreamMessage.HeaderValue)] = []
        var at = from
        func need(_ count: Int) throws(EventStreamError) {
            if at + count > end { throw .badHeaders("a header runs past the headers' end") }
        }
        while at < end {
            try need(1)
            let nameLength = Int(bytes[at])
            at += 1
            guard nameLength > 0 else { throw .badHeaders("empty header name") }
            try need(nameLength + 1)
            let name = String(decoding: bytes[at..<(at + nameLength)], as: UTF8.self)
            at += nameLength
            let type = bytes[at]
            at += 1
            let value: EventStreamMessage.HeaderValue
            switch type {
            case 0: value = .bool(true)
            case 1: value = .bool(false)
            case 2:
                try need(1)
                value = .byte(Int8(bitPattern: bytes[at]))
                at += 1
            case 3:
                try need(2)
                value = .short(Int16(truncatingIfNeeded: integer(bytes, at, 2)))
                at += 2
            case 4:
                try need(4)
                value = .int(Int32(truncatingIfNeeded: integer(bytes, at, 4)))
                at += 4
            case 5, 8:
                try need(8)
                let raw = Int64(bitPattern: integer(bytes, at, 8))
                value = type == 5 ? .long(raw) : .timestamp(raw)
                at += 8
            case 6, 7:
                try need(2)
                let length = Int(integer(bytes, at, 2))
                at += 2
                try need(length)
                let slice = Array(bytes[at..<(at + length)])
                value = type == 6 ? .bytes(slice) : .string(String(decoding: slice, as: UTF8.self))
                at += length
            case 9:
                try need(16)
                value = .uuid(Array(bytes[at..<(at + 16)]))
                at += 16
            default:
                throw .badHeaders("unknown header value type \(type)")
            }
            headers.append((name, value))
        }
        return headers
    }
}
