/// Writing JSON back out: compact (members in their original order) for answers, and
/// canonical (members sorted, numbers normalised) for cache keys.
extension JSONValue {
    /// Compact JSON, members in their original order, numbers as written.
    public func serialized() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out, canonical: false)
        return out
    }

    /// `serialized()` as a string.
    public func serializedString() -> String {
        String(decoding: serialized(), as: UTF8.self)
    }

    /// The canonical form: no whitespace, object members sorted by the UTF-8 bytes of their
    /// names (stable, so duplicate names keep their order), numbers in canonical form. Two
    /// documents that differ only in formatting, member order or number spelling
    /// (`0.0` / `0` / `0e0`) have the same canonical bytes.
    public func canonicalBytes() -> [UInt8] {
        var out: [UInt8] = []
        write(to: &out, canonical: true)
        return out
    }

    private func write(to out: inout [UInt8], canonical: Bool) {
        switch self {
        case .null:
            out.append(contentsOf: "null".utf8)
        case .bool(let value):
            out.append(contentsOf: (value ? "true" : "false").utf8)
        case .number(let text):
            out.append(contentsOf: (canonical ? Self.canonicalNumber(text) : text).utf8)
        case .string(let text):
            Self.writeString(text, to: &out)
        case .array(let items):
            out.append(UInt8(ascii: "["))
            for (position, item) in items.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                item.write(to: &out, canonical: canonical)
            }
            out.append(UInt8(ascii: "]"))
        case .object(let members):
            out.append(UInt8(ascii: "{"))
            let ordered = canonical ? Self.sortedMembers(members) : members
            for (position, member) in ordered.enumerated() {
                if position > 0 { out.append(UInt8(ascii: ",")) }
                Self.writeString(member.key, to: &out)
                out.append(UInt8(ascii: ":"))
                member.value.write(to: &out, canonical: canonical)
            }
            out.append(UInt8(ascii: "}"))
        }
    }

    /// A JSON string literal: quotes, backslashes and control characters escaped, everything
    /// else written as UTF-8.
    static func writeString(_ text: String, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\""))
        let needsEscaping = text.utf8.contains { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }
        guard needsEscaping else {
            // The common case: copy the whole run at once.
            out.append(contentsOf: text.utf8)
            out.append(UInt8(ascii: "\""))
            return
        }
        let hexDigits: StaticString = "0123456789abcdef"
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"):
                out.append(UInt8(ascii: "\\"))
                out.append(byte)
            case 0x0A:
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "n"))
            case 0x0D:
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "r"))
            case 0x09:
                out.append(UInt8(ascii: "\\"))
                out.append(UInt8(ascii: "t"))
            case 0x00..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                hexDigits.withUTF8Buffer { digits in
                    out.append(digits[Int(byte >> 4)])
                    out.append(digits[Int(byte & 0x0F)])
                }
            default:
                out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    /// Members sorted by the UTF-8 bytes of their names; stable.
    static func sortedMembers(_ members: [(key: String, value: JSONValue)]) -> [(key: String, value: JSONValue)] {
        members.enumerated().sorted { left, right in
            if left.element.key.utf8.elementsEqual(right.element.key.utf8) { return left.offset < right.offset }
            return left.element.key.utf8.lexicographicallyPrecedes(right.element.key.utf8)
        }.map(\.element)
    }

    /// The canonical spelling of a JSON number: integers as written (`-0` as `0`); numbers
    /// with a fraction or exponent through `Double`: integral values below 2^53 as integers,
    /// others in Swift's shortest round-trip form. Values a `Double` cannot hold stay as written.
    static func canonicalNumber(_ text: String) -> String {
        let isInteger = !text.utf8.contains { $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }
        if isInteger {
            return text == "-0" ? "0" : text
        }
        guard let value = Double(text), value.isFinite else { return text }
        if value == 0 { return "0" }
        if value == value.rounded(), abs(value) < 9_007_199_254_740_992 {
            return String(Int64(value))
        }
        return String(value)
    }
}
