/// Lower-case hexadecimal, as digests, SigV4 and trace context write bytes.
public enum Hex {
    private static let digits = Array("0123456789abcdef".utf8)

    public static func encode(_ bytes: [UInt8]) -> String {
        var out = [UInt8]()
        out.reserveCapacity(bytes.count * 2)
        for byte in bytes {
            out.append(digits[Int(byte >> 4)])
            out.append(digits[Int(byte & 0x0f)])
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Nil unless `text` is an even number of hex digits. `lowerCaseOnly` for formats that
    /// refuse upper case (the W3C trace context).
    public static func decode(_ text: String, lowerCaseOnly: Bool = false) -> [UInt8]? {
        decode(Array(text.utf8)[...], lowerCaseOnly: lowerCaseOnly)
    }

    public static func decode(_ digits: ArraySlice<UInt8>, lowerCaseOnly: Bool = false) -> [UInt8]? {
        guard digits.count % 2 == 0 else { return nil }
        var out = [UInt8]()
        out.reserveCapacity(digits.count / 2)
        var index = digits.startIndex
        while index < digits.endIndex {
            guard let high = value(digits[index], lowerCaseOnly), let low = value(digits[index + 1], lowerCaseOnly) else { return nil }
            out.append(high << 4 | low)
            index += 2
        }
        return out
    }

    private static func value(_ digit: UInt8, _ lowerCaseOnly: Bool) -> UInt8? {
        switch digit {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): digit - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): digit - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F") where !lowerCaseOnly: digit - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
