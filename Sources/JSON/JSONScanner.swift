/// A strict, allocation-light JSON validator that also picks a few top-level fields.
///
/// The proxy must reject malformed JSON with a 400 and learn `model` and `stream` from a
/// request body without decoding the whole document into objects: bodies can carry
/// megabytes of conversation, and this runs on every request.
public struct JSONScanner {
    /// What the scan learned about a top-level JSON object.
    public struct TopLevel: Sendable, Equatable {
        /// String-valued top-level fields that were asked for.
        public var strings: [String: String] = [:]
        /// Boolean top-level fields that were asked for.
        public var booleans: [String: Bool] = [:]
        /// Number-valued top-level fields that were asked for (as written).
        public var numbers: [String: String] = [:]
    }

    /// A syntax error with its byte offset.
    public struct SyntaxError: Error, Sendable, Equatable, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        public var description: String { "\(reason) at byte \(offset)" }
    }

    private let bytes: UnsafeRawBufferPointer
    private var index = 0
    private var depth = 0
    /// Deeper bodies are refused with a 400: the scanner recurses once per level. Request
    /// bodies are bounded in size by `server.max_body`, which this scan never exceeds.
    public static let maxDepth = 512

    private init(bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    /// Validates `data` as one JSON object and returns the wanted top-level fields.
    public static func scanObject(_ data: [UInt8], fields: Set<String>) throws(SyntaxError) -> TopLevel {
        var result: Result<TopLevel, SyntaxError> = .failure(SyntaxError(offset: 0, reason: "empty body"))
        data.withUnsafeBytes { raw in
            var scanner = JSONScanner(bytes: raw)
            do throws(SyntaxError) {
                result = .success(try scanner.scanDocument(fields: fields))
            } catch {
                result = .failure(error)
            }
        }
        return try result.get()
    }

    private mutating func scanDocument(fields: Set<String>) throws(SyntaxError) -> TopLevel {
        skipSpace()
        guard peek() == UInt8(ascii: "{") else { throw fail("expected a JSON object") }
        var top = TopLevel()
        index += 1
        depth = 1
        skipSpace()
        if peek() == UInt8(ascii: "}") {
            index += 1
        } else {
            while true {
                skipSpace()
                let key = try scanString(capture: true) ?? ""
                skipSpace()
                try expect(UInt8(ascii: ":"))
                skipSpace()
                if fields.contains(key) {
                    switch peek() ?? 0 {
                    case UInt8(ascii: "\""):
                        top.strings[key] = try scanString(capture: true)
                    case UInt8(ascii: "t"), UInt8(ascii: "f"):
                        let isTrue = peek() == UInt8(ascii: "t")
                        try scanValue()
                        top.booleans[key] = isTrue
                    case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
                        let start = index
                        try scanValue()
                        top.numbers[key] = String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                    default:
                        try scanValue()
                    }
                } else {
                    try scanValue()
                }
                skipSpace()
                if peek() == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "}"))
                break
            }
        }
        skipSpace()
        guard index == bytes.count else { throw fail("unexpected data after the JSON object") }
        return top
    }

    private mutating func scanValue() throws(SyntaxError) {
        skipSpace()
        guard let byte = peek() else { throw fail("unexpected end of input") }
        switch byte {
        case UInt8(ascii: "{"):
            try nest()
            index += 1
            skipSpace()
            if peek() == UInt8(ascii: "}") {
                index += 1
                depth -= 1
                return
            }
            while true {
                skipSpace()
                _ = try scanString(capture: false)
                skipSpace()
                try expect(UInt8(ascii: ":"))
                try scanValue()
                skipSpace()
                if peek() == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "}"))
                depth -= 1
                return
            }
        case UInt8(ascii: "["):
            try nest()
            index += 1
            skipSpace()
            if peek() == UInt8(ascii: "]") {
                index += 1
                depth -= 1
                return
            }
            while true {
                try scanValue()
                skipSpace()
                if peek() == UInt8(ascii: ",") {
                    index += 1
                    continue
                }
                try expect(UInt8(ascii: "]"))
                depth -= 1
                return
            }
        case UInt8(ascii: "\""):
            _ = try scanString(capture: false)
        case UInt8(ascii: "t"):
            try literal("true")
        case UInt8(ascii: "f"):
            try literal("false")
        case UInt8(ascii: "n"):
            try literal("null")
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"):
            try scanNumber()
        default:
            throw fail("unexpected character")
        }
    }

    private mutating func nest() throws(SyntaxError) {
        depth += 1
        if depth > Self.maxDepth { throw fail("nesting too deep") }
    }

    /// Scans a string; returns its decoded value when `capture` is set.
    private mutating func scanString(capture: Bool) throws(SyntaxError) -> String? {
        guard peek() == UInt8(ascii: "\"") else { throw fail("expected a string") }
        index += 1
        let start = index
        var plain = true
        var decoded: [UInt8] = []
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                defer { index += 1 }
                guard capture else { return nil }
                if plain {
                    return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                }
                return String(decoding: decoded, as: UTF8.self)
            }
            if byte < 0x20 { throw fail("control character in string") }
            if byte == UInt8(ascii: "\\") {
                if plain, capture {
                    decoded.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[start..<index]))
                }
                plain = false
                index += 1
                guard let escape = peek() else { break }
                switch escape {
                case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"):
                    decoded.append(escape)
                case UInt8(ascii: "b"): decoded.append(0x08)
                case UInt8(ascii: "f"): decoded.append(0x0C)
                case UInt8(ascii: "n"): decoded.append(0x0A)
                case UInt8(ascii: "r"): decoded.append(0x0D)
                case UInt8(ascii: "t"): decoded.append(0x09)
                case UInt8(ascii: "u"):
                    guard index + 4 < bytes.count else { throw fail("short unicode escape") }
                    var value: UInt32 = 0
                    for offset in 1...4 {
                        guard let digit = hexValue(bytes[index + offset]) else { throw fail("bad unicode escape") }
                        value = value << 4 | digit
                    }
                    index += 4
                    if capture, let scalar = Unicode.Scalar(value) {
                        decoded.append(contentsOf: Array(String(Character(scalar)).utf8))
                    }
                default:
                    throw fail("bad escape")
                }
                index += 1
                continue
            }
            if !plain, capture { decoded.append(byte) }
            index += 1
        }
        throw fail("unterminated string")
    }

    private mutating func scanNumber() throws(SyntaxError) {
        if peek() == UInt8(ascii: "-") { index += 1 }
        guard let first = peek(), isDigit(first) else { throw fail("bad number") }
        if first == UInt8(ascii: "0") {
            index += 1
        } else {
            while let d = peek(), isDigit(d) { index += 1 }
        }
        if peek() == UInt8(ascii: ".") {
            index += 1
            guard let d = peek(), isDigit(d) else { throw fail("bad number") }
            while let d = peek(), isDigit(d) { index += 1 }
        }
        if peek() == UInt8(ascii: "e") || peek() == UInt8(ascii: "E") {
            index += 1
            if peek() == UInt8(ascii: "+") || peek() == UInt8(ascii: "-") { index += 1 }
            guard let d = peek(), isDigit(d) else { throw fail("bad number") }
            while let d = peek(), isDigit(d) { index += 1 }
        }
    }

    private mutating func literal(_ word: StaticString) throws(SyntaxError) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw fail("unexpected end of input") }
        for offset in 0..<count where bytes[index + offset] != word.utf8Start[offset] {
            throw fail("unexpected character")
        }
        index += count
    }

    private mutating func expect(_ byte: UInt8) throws(SyntaxError) {
        guard peek() == byte else {
            throw fail(peek() == nil ? "unexpected end of input" : "expected '\(Character(Unicode.Scalar(byte)))'")
        }
        index += 1
    }

    private mutating func skipSpace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    private func peek() -> UInt8? { index < bytes.count ? bytes[index] : nil }
    private func isDigit(_ byte: UInt8) -> Bool { byte >= 0x30 && byte <= 0x39 }

    private func hexValue(_ byte: UInt8) -> UInt32? {
        switch byte {
        case 0x30...0x39: UInt32(byte - 0x30)
        case 0x41...0x46: UInt32(byte - 0x41 + 10)
        case 0x61...0x66: UInt32(byte - 0x61 + 10)
        default: nil
        }
    }

    private func fail(_ reason: String) -> SyntaxError {
        SyntaxError(offset: index, reason: reason)
    }
}
