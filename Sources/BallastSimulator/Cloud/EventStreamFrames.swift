import JSON

/// The simulator's own AWS event-stream writer, deliberately not `CloudRegions`'s encoder:
/// Ballast decodes what this writes, so a shared mistake (a CRC over the wrong bytes, a length
/// that leaves out the trailer) would pass unnoticed. Bitwise CRC-32 and base64 here, the
/// table-driven ones there; the e2e suite adds a third, Python's, against both.
///
/// A message: total length (4, big-endian), headers length (4), CRC-32 of those 8 bytes,
/// headers (name length u8, name, type 7 = string, value length u16, value), payload, CRC-32
/// of everything before it.
enum EventStreamFrames {
    /// One message with string headers.
    static func message(headers: [(String, String)], payload: [UInt8]) -> [UInt8] {
        var head: [UInt8] = []
        for (name, value) in headers {
            head.append(UInt8(name.utf8.count))
            head += name.utf8
            head.append(7)
            head.append(UInt8(value.utf8.count >> 8))
            head.append(UInt8(value.utf8.count & 0xff))
            head += value.utf8
        }
        var out: [UInt8] = []
        out.reserveCapacity(16 + head.count + payload.count)
        bigEndian(&out, UInt32(16 + head.count + payload.count))
        bigEndian(&out, UInt32(head.count))
        bigEndian(&out, crc32(out))
        out += head
        out += payload
        bigEndian(&out, crc32(out))
        return out
    }

    /// A Messages stream event as Bedrock sends it: a `chunk` whose payload is
    /// `{"bytes": "<base64 of the event's JSON>"}`.
    static func chunk(_ json: [UInt8]) -> [UInt8] {
        message(
            headers: [(":event-type", "chunk"), (":content-type", "application/json"), (":message-type", "event")],
            payload: Array(#"{"bytes":"\#(base64(json))"}"#.utf8))
    }

    /// A modelled exception (`serviceUnavailableException`, ...), which ends a Bedrock stream.
    static func exception(_ type: String, message text: String) -> [UInt8] {
        message(
            headers: [(":exception-type", type), (":content-type", "application/json"), (":message-type", "exception")],
            payload: Array(#"{"message":"\#(JSONText.escape(text))"}"#.utf8))
    }

    /// The simulator's SSE text (`event: X\ndata: {json}\n\n`, one or more) as Bedrock frames:
    /// each event's data as a chunk, an `error` event as the exception Bedrock sends when the
    /// model fails midway.
    static func fromSSE(_ sse: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        var event = ""
        for line in sse.split(separator: 0x0a, omittingEmptySubsequences: true) {
            if line.starts(with: Array("event: ".utf8)) {
                event = String(decoding: line.dropFirst(7), as: UTF8.self)
            } else if line.starts(with: Array("data: ".utf8)) {
                let data = Array(line.dropFirst(6))
                out += event == "error" ? exception("serviceUnavailableException", message: "The model is overloaded.") : chunk(data)
            }
        }
        return out
    }

    static func crc32<Bytes: Sequence>(_ bytes: Bytes) -> UInt32 where Bytes.Element == UInt8 {
        var crc: UInt32 = 0xffff_ffff
        for byte in bytes {
            crc ^= UInt32(byte)
            for _ in 0..<8 { crc = (crc >> 1) ^ (0xedb8_8320 & (0 &- (crc & 1))) }
        }
        return ~crc
    }

    private static let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)

    static func base64(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index < bytes.count {
            let a = UInt32(bytes[index])
            let b = index + 1 < bytes.count ? UInt32(bytes[index + 1]) : 0
            let c = index + 2 < bytes.count ? UInt32(bytes[index + 2]) : 0
            let group = a << 16 | b << 8 | c
            out.append(alphabet[Int(group >> 18 & 63)])
            out.append(alphabet[Int(group >> 12 & 63)])
            out.append(index + 1 < bytes.count ? alphabet[Int(group >> 6 & 63)] : UInt8(ascii: "="))
            out.append(index + 2 < bytes.count ? alphabet[Int(group & 63)] : UInt8(ascii: "="))
            index += 3
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func bigEndian(_ out: inout [UInt8], _ value: UInt32) {
        out += [UInt8(value >> 24), UInt8(value >> 16 & 0xff), UInt8(value >> 8 & 0xff), UInt8(value & 0xff)]
    }
}
