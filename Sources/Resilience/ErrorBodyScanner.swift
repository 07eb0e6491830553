/// Picks `error.type` and `error.message` out of the first bytes of an Anthropic error body
/// (`{"type":"error","error":{"type":"rate_limit_error","message":"..."}}`).
///
/// Only a prefix of the body is at hand (bodies are streamed and may be cut anywhere), so this
/// does not validate JSON: it walks string tokens and takes the first `"type"` whose value is
/// not `"error"` and the first `"message"`. That is enough for the API's fixed shape and never
/// fails on a truncated document.
struct ErrorBodyScanner {
    struct Found: Equatable {
        var type: String?
        var message: String?
    }

    static func scan(_ bytes: [UInt8]) -> Found {
        var found = Found()
        var index = 0
        while index < bytes.count, found.type == nil || found.message == nil {
            guard bytes[index] == UInt8(ascii: "\"") else {
                index += 1
                continue
            }
            guard let (key, afterKey) = readString(bytes, from: index) else { break }
            index = afterKey
            guard key == "type" || key == "message" else { continue }
            // A key is followed by ':' and, for the fields we want, a string value.
            var cursor = skipSpace(bytes, from: index)
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: ":") else { continue }
            cursor = skipSpace(bytes, from: cursor + 1)
            guard cursor < bytes.count, bytes[cursor] == UInt8(ascii: "\""),
                let (value, afterValue) = readString(bytes, from: cursor)
            else { continue }
            index = afterValue
            if key == "type", value != "error", found.type == nil {
                found.type = value
            } else if key == "message", found.message == nil {
                found.message = value
            }
        }
        return found
    }

    private static func skipSpace(_ bytes: [UInt8], from start: Int) -> Int {
        var index = start
        while index < bytes.count,
            bytes[index] == 0x20 || bytes[index] == 0x09 || bytes[index] == 0x0A
                || bytes[index] == 0x0D
        {
            index += 1
        }
        return index
    }

    /// Reads the JSON string starting at the quote at `start`; nil when it is cut off.
    private static func readString(_ bytes: [UInt8], from start: Int) -> (String, Int)? {
        var decoded: [UInt8] = []
        var index = start + 1
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                return (String(decoding: decoded, as: UTF8.self), index + 1)
            }
            if byte == UInt8(ascii: "\\") {
                guard index + 1 < bytes.count else { return nil }
                let escape = bytes[index + 1]
                switch escape {
                case UInt8(ascii: "n"): decoded.append(0x0A)
                case UInt8(ascii: "t"): decoded.append(0x09)
                case UInt8(ascii: "r"): decoded.append(0x0D)
                case UInt8(ascii: "b"), UInt8(ascii: "f"): decoded.append(0x20)
                case UInt8(ascii: "u"):
                    guard index + 5 < bytes.count,
                        let value = UInt32(String(decoding: bytes[(index + 2)...(index + 5)], as: UTF8.self), radix: 16)
                    else { return nil }
                    let scalar = Unicode.Scalar(value) ?? "\u{FFFD}"
                    decoded.append(contentsOf: Array(String(Character(scalar)).utf8))
                    index += 6
                    continue
                default: decoded.append(escape)
                }
                index += 2
                continue
            }
            decoded.append(byte)
            index += 1
        }
        return nil
    }
}
