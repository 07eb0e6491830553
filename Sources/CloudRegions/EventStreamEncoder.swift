/// Writes AWS event-stream messages: the simulator's Bedrock streams and the tests' frames.
/// Only the header types Bedrock sends (strings) and the few tests need are written.
public enum EventStreamEncoder {
    public static func encode(_ message: EventStreamMessage) -> [UInt8] {
        var headers: [UInt8] = []
        for header in message.headers {
            let name = Array(header.name.utf8)
            headers.append(UInt8(truncatingIfNeeded: name.count))
            headers += name
            switch header.value {
            case .bool(let value): headers.append(value ? 0 : 1)
            case .byte(let value): headers += [2, UInt8(bitPattern: value)]
            case .short(let value):
                headers.append(3)
                append(&headers, UInt64(UInt16(bitPattern: value)), 2)
            case .int(let value):
                headers.append(4)
                append(&headers, UInt64(UInt32(bitPattern: value)), 4)
            case .long(let value):
                headers.append(5)
                append(&headers, UInt64(bitPattern: value), 8)
            case .timestamp(let value):
                headers.append(8)
                append(&headers, UInt64(bitPattern: value), 8)
            case .bytes(let value):
                headers.append(6)
                append(&headers, UInt64(value.count), 2)
                headers += value
            case .string(let value):
                let bytes = Array(value.utf8)
                headers.append(7)
                append(&headers, UInt64(bytes.count), 2)
                headers += bytes
            case .uuid(let value):
                headers.append(9)
                headers += value.prefix(16)
            }
        }
        let total = 16 + headers.count + message.payload.count
        var out: [UInt8] = []
        out.reserveCapacity(total)
        append(&out, UInt64(total), 4)
        append(&out, UInt64(headers.count), 4)
        append(&out, UInt64(CRC32.checksum(out)), 4)
        out += headers
        out += message.payload
        append(&out, UInt64(CRC32.checksum(out)), 4)
        return out
    }

    /// A string-headed message, as Bedrock sends them.
    public static func encode(headers: [(String, String)], payload: [UInt8]) -> [UInt8] {
        encode(EventStreamMessage(headers: headers.map { ($0.0, .string($0.1)) }, payload: payload))
    }

    private static func append(_ out: inout [UInt8], _ value: UInt64, _ bytes: Int) {
        for shift in stride(from: (bytes - 1) * 8, through: 0, by: -8) { out.append(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }
}
