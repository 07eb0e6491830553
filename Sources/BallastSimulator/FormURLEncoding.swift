/// `application/x-www-form-urlencoded` decoding, for token requests: their bodies, and the
/// user and password of HTTP Basic client authentication (which RFC 6749 §2.3.1 form-encodes
/// before base64).
enum FormURLEncoding {
    /// The name-value pairs of a form body, in order; nil when a `%` escape is malformed or
    /// the result is not UTF-8.
    static func pairs(_ bytes: [UInt8]) -> [(name: String, value: String)]? {
        var result: [(name: String, value: String)] = []
        for part in bytes.split(separator: UInt8(ascii: "&"), omittingEmptySubsequences: true) {
            let equals = part.firstIndex(of: UInt8(ascii: "=")) ?? part.endIndex
            guard let name = decode(part[part.startIndex..<equals]) else { return nil }
            let rest = equals < part.endIndex ? part[part.index(after: equals)...] : []
            guard let value = decode(rest) else { return nil }
            result.append((name, value))
        }
        return result
    }

    /// One form-encoded component: `+` is a space, `%XX` a byte.
    static func decode<Bytes: Collection>(_ bytes: Bytes) -> String? where Bytes.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var index = bytes.startIndex
        while index < bytes.endIndex {
            let byte = bytes[index]
            if byte == UInt8(ascii: "+") {
                out.append(0x20)
            } else if byte == UInt8(ascii: "%") {
                let high = bytes.index(after: index)
                guard high < bytes.endIndex else { return nil }
                let low = bytes.index(after: high)
                guard low < bytes.endIndex, let h = hexValue(bytes[high]), let l = hexValue(bytes[low]) else { return nil }
                out.append(h << 4 | l)
                index = low
            } else {
                out.append(byte)
            }
            index = bytes.index(after: index)
        }
        return String(validating: out, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
