/// Finds a member of a JSON object by walking only the object's top level, and reads the
/// flat members of a `usage` object. Strings (escapes included) and nested values are
/// skipped, never decoded: this runs on every answer, and answers can be megabytes.
///
/// Not a validator: the bytes come from the upstream, and a malformed document ends the
/// walk with nil (the usage is then unknown), never a crash. Nesting is bounded by
/// `maxDepth` (the skip is iterative, so depth costs no stack).
enum UsageReader {
    enum Value: Equatable {
        /// A non-negative integer up to `maxCount`.
        case count(Int)
        case null
        case object(ArraySlice<UInt8>)
        /// Anything else: a string, a negative or fractional number, an array, a boolean.
        case other
    }

    static let maxDepth = 512
    /// Counts above this are refused as nonsense (an upstream sending 10^15 tokens is broken).
    static let maxCount = 1_000_000_000_000

    /// The bytes of the value of the top-level member `key` of the object in `bytes`.
    static func member<C: RandomAccessCollection>(_ key: String, of bytes: C) -> ArraySlice<UInt8>?
    where C.Element == UInt8, C.Index == Int {
        let slice = ArraySlice(bytes)
        var found: ArraySlice<UInt8>?
        let needle = Array(key.utf8)
        _ = walkObject(slice) { name, start, end in
            if name.elementsEqual(needle) {
                found = slice[start..<end]
                return false
            }
            return true
        }
        return found
    }

    /// Every member of a flat object as (key, value); nil when the bytes are not an object.
    static func fields(of bytes: ArraySlice<UInt8>) -> [(String, Value)]? {
        var result: [(String, Value)] = []
        let complete = walkObject(bytes) { name, start, end in
            result.append((String(decoding: name, as: UTF8.self), classify(bytes[start..<end])))
            return true
        }
        return complete ? result : nil
    }

    private static func classify(_ value: ArraySlice<UInt8>) -> Value {
        guard let first = value.first else { return .other }
        if first == UInt8(ascii: "{") { return .object(value) }
        if value.elementsEqual("null".utf8) { return .null }
        guard value.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }), value.count <= 13 else { return .other }
        var number = 0
        for digit in value { number = number * 10 + Int(digit - 0x30) }
        return number <= maxCount ? .count(number) : .other
    }

    /// Calls `visit(key, valueStart, valueEnd)` for each top-level member until it returns
    /// false. Returns true when the whole object was read.
    private static func walkObject(
        _ bytes: ArraySlice<UInt8>,
        _ visit: (ArraySlice<UInt8>, Int, Int) -> Bool
    ) -> Bool {
        var index = skipSpace(bytes, bytes.startIndex)
        guard index < bytes.endIndex, bytes[index] == UInt8(ascii: "{") else { return false }
        index = skipSpace(bytes, index + 1)
        if index < bytes.endIndex, bytes[index] == UInt8(ascii: "}") { return true }
        while index < bytes.endIndex {
            guard bytes[index] == UInt8(ascii: "\""), let keyEnd = skipString(bytes, index) else { return false }
            let key = bytes[(index + 1)..<(keyEnd - 1)]
            index = skipSpace(bytes, keyEnd)
            guard index < bytes.endIndex, bytes[index] == UInt8(ascii: ":") else { return false }
            let start = skipSpace(bytes, index + 1)
            guard let end = skipValue(bytes, start) else { return false }
            if !visit(key, start, end) { return true }
            index = skipSpace(bytes, end)
            guard index < bytes.endIndex else { return false }
            if bytes[index] == UInt8(ascii: "}") { return true }
            guard bytes[index] == UInt8(ascii: ",") else { return false }
            index = skipSpace(bytes, index + 1)
        }
        return false
    }

    private static func skipSpace(_ bytes: ArraySlice<UInt8>, _ start: Int) -> Int {
        var index = start
        while index < bytes.endIndex, [0x20, 0x09, 0x0A, 0x0D].contains(bytes[index]) { index += 1 }
        return index
    }

    /// The index after the closing quote of the string opening at `start`.
    private static func skipString(_ bytes: ArraySlice<UInt8>, _ start: Int) -> Int? {
        var index = start + 1
        while index < bytes.endIndex {
            switch bytes[index] {
            case UInt8(ascii: "\\"): index += 2
            case UInt8(ascii: "\""): return index + 1
            default: index += 1
            }
        }
        return nil
    }

    /// The index after the value starting at `start`: a scalar ends at `,`, `}` or `]`;
    /// objects and arrays are skipped by counting brackets outside strings.
    private static func skipValue(_ bytes: ArraySlice<UInt8>, _ start: Int) -> Int? {
        guard start < bytes.endIndex else { return nil }
        switch bytes[start] {
        case UInt8(ascii: "\""):
            return skipString(bytes, start)
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            var depth = 0
            var index = start
            while index < bytes.endIndex {
                switch bytes[index] {
                case UInt8(ascii: "\""):
                    guard let end = skipString(bytes, index) else { return nil }
                    index = end
                    continue
                case UInt8(ascii: "{"), UInt8(ascii: "["):
                    depth += 1
                    if depth > maxDepth { return nil }
                case UInt8(ascii: "}"), UInt8(ascii: "]"):
                    depth -= 1
                    if depth == 0 { return index + 1 }
                default:
                    break
                }
                index += 1
            }
            return nil
        default:
            var index = start
            while index < bytes.endIndex,
                ![UInt8(ascii: ","), UInt8(ascii: "}"), UInt8(ascii: "]"), 0x20, 0x09, 0x0A, 0x0D]
                    .contains(bytes[index])
            { index += 1 }
            return index > start ? index : nil
        }
    }
}
