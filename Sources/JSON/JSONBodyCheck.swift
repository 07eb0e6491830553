/// Checks a request body for what a JSON syntax check lets through but the API's own parser
/// would read differently, or that would cost Ballast (or the upstream) more than it should:
/// invalid UTF-8, nesting deeper than a bound, and a top-level key written twice.
///
/// A duplicate key is the classic smuggling trick: Ballast's scanner and the upstream's parser
/// may keep different copies of `model` (first vs last wins), so rules, pacing and budgets
/// would judge one model while another is called. Keys are compared after unescaping, so
/// `"model"` and `"\u006dodel"` are the same key.
///
/// One pass over the bytes with an explicit depth counter: no recursion, so no input can
/// exhaust the stack. It assumes nothing about syntax (the JSON scanner judges that after it).
public enum JSONBodyCheck {
    public enum Problem: Equatable, Sendable, CustomStringConvertible {
        case invalidUTF8(offset: Int)
        case tooDeep(limit: Int, offset: Int)
        case duplicateKey(String)

        public var description: String {
            switch self {
            case .invalidUTF8(let offset): "request body is not valid UTF-8 (at byte \(offset))"
            case .tooDeep(let limit, let offset): "request body nests deeper than \(limit) levels (at byte \(offset))"
            case .duplicateKey(let key): "request body has the top-level key '\(key)' more than once"
            }
        }

        /// The metric label for this refusal.
        public var reason: String {
            switch self {
            case .invalidUTF8: "body_invalid_utf8"
            case .tooDeep: "body_too_deep"
            case .duplicateKey: "body_duplicate_key"
            }
        }
    }

    public static func check(_ body: [UInt8], maxDepth: Int) -> Problem? {
        if let offset = firstInvalidUTF8(body) { return .invalidUTF8(offset: offset) }
        var depth = 0
        var inString = false
        var escaped = false
        // At depth 1 inside the top-level object: whether the next string is a key.
        var expectKey = false
        var keyStart: Int?
        var keys = Set<String>()
        var index = 0
        while index < body.count {
            let byte = body[index]
            if inString {
                if escaped {
                    escaped = false
                } else if byte == UInt8(ascii: "\\") {
                    escaped = true
                } else if byte == UInt8(ascii: "\"") {
                    inString = false
                    if let start = keyStart {
                        let key = unescape(body[start..<index])
                        if !keys.insert(key).inserted { return .duplicateKey(key) }
                        keyStart = nil
                    }
                }
                index += 1
                continue
            }
            switch byte {
            case UInt8(ascii: "\""):
                inString = true
                if depth == 1, expectKey {
                    keyStart = index + 1
                    expectKey = false
                }
            case UInt8(ascii: "{"), UInt8(ascii: "["):
                depth += 1
                if depth > maxDepth { return .tooDeep(limit: maxDepth, offset: index) }
                if depth == 1 { expectKey = byte == UInt8(ascii: "{") }
            case UInt8(ascii: "}"), UInt8(ascii: "]"):
                depth -= 1
            case UInt8(ascii: ","):
                if depth == 1 { expectKey = true }
            default:
                break
            }
            index += 1
        }
        return nil
    }

    /// The offset of the first byte that does not belong to well-formed UTF-8, or nil.
    static func firstInvalidUTF8(_ bytes: [UInt8]) -> Int? {
        // The common case (all ASCII, or valid) costs one validation by the standard library.
        if String(validating: bytes, as: UTF8.self) != nil { return nil }
        var offset = 0
        var iterator = bytes.makeIterator()
        var decoder = UTF8()
        while true {
            switch decoder.decode(&iterator) {
            case .scalarValue(let scalar):
                offset += UTF8.width(scalar)
            case .emptyInput:
                return nil
            case .error:
                return offset
            }
        }
    }

    /// A JSON string's content with its escapes resolved (lone surrogates become U+FFFD).
    static func unescape(_ raw: ArraySlice<UInt8>) -> String {
        guard raw.contains(UInt8(ascii: "\\")) else { return String(decoding: raw, as: UTF8.self) }
        var scalars = String.UnicodeScalarView()
        var bytes: [UInt8] = []
        var index = raw.startIndex
        func flush() {
            scalars.append(contentsOf: String(decoding: bytes, as: UTF8.self).unicodeScalars)
            bytes.removeAll()
        }
        func hex4(at position: Int) -> UInt32? {
            guard position + 4 <= raw.endIndex else { return nil }
            return UInt32(String(decoding: raw[position..<position + 4], as: UTF8.self), radix: 16)
        }
        while index < raw.endIndex {
            let byte = raw[index]
            guard byte == UInt8(ascii: "\\"), index + 1 < raw.endIndex else {
                bytes.append(byte)
                index += 1
                continue
            }
            let kind = raw[index + 1]
            index += 2
            switch kind {
            case UInt8(ascii: "b"): bytes.append(0x08)
            case UInt8(ascii: "f"): bytes.append(0x0C)
            case UInt8(ascii: "n"): bytes.append(0x0A)
            case UInt8(ascii: "r"): bytes.append(0x0D)
            case UInt8(ascii: "t"): bytes.append(0x09)
            case UInt8(ascii: "u"):
                guard var code = hex4(at: index) else {
                    bytes.append(kind)
                    continue
                }
                index += 4
                if (0xD800..<0xDC00).contains(code), index + 1 < raw.endIndex, raw[index] == UInt8(ascii: "\\"),
                    raw[index + 1] == UInt8(ascii: "u"), let low = hex4(at: index + 2), (0xDC00..<0xE000).contains(low)
                {
                    code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
                    index += 6
                }
                flush()
                scalars.append(Unicode.Scalar(code) ?? "\u{FFFD}")
            default: bytes.append(kind)  // \" \\ \/
            }
        }
        flush()
        return String(scalars)
    }
}
