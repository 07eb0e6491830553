public import BallastCore

/// Builds an upstream response's status and headers from the header lines libcurl hands over
/// one at a time (status line, fields, blank line; 1xx blocks come before the real one).
///
/// A value type apart from the transfer so that the fuzz target and its corpus test feed it
/// exactly the bytes an upstream could send. Bytes, not Characters: a response has some
/// twenty lines, and splitting them as Strings (grapheme by grapheme) was a noticeable part of
/// the proxy's CPU.
public struct UpstreamHeadParser: Sendable {
    public private(set) var status = 0
    public private(set) var headers = HTTPHeaders()

    public init() {}

    public var head: UpstreamResponseHead { UpstreamResponseHead(status: status, headers: headers) }

    /// Takes one header line, with or without its line end. Returns true at the blank line that
    /// ends a block with a final status (200 or more): the head is then complete.
    public mutating func consume(_ line: UnsafeRawBufferPointer) -> Bool {
        var end = line.count
        while end > 0, line[end - 1] == 0x0A || line[end - 1] == 0x0D { end -= 1 }
        if end == 0 { return status >= 200 }
        let bytes = UnsafeRawBufferPointer(rebasing: line[0..<end])
        if bytes.starts(with: "HTTP/".utf8) {
            let text = String(decoding: bytes, as: UTF8.self)
            let parts = text.split(separator: " ", maxSplits: 2)
            status = parts.count > 1 ? Int(parts[1]) ?? 0 : 0
            headers = HTTPHeaders()
        } else if let colon = bytes.firstIndex(of: UInt8(ascii: ":")) {
            var start = colon + 1
            var stop = bytes.count
            while start < stop, bytes[start] == 0x20 || bytes[start] == 0x09 { start += 1 }
            while stop > start, bytes[stop - 1] == 0x20 || bytes[stop - 1] == 0x09 { stop -= 1 }
            let name = String(unsafeUninitializedCapacity: colon) { buffer in
                for index in 0..<colon {
                    let byte = bytes[index]
                    buffer[index] = byte >= 0x41 && byte <= 0x5A ? byte | 0x20 : byte
                }
                return colon
            }
            headers.add(name, String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<stop]), as: UTF8.self))
        }
        return false
    }
}
