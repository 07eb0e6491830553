import BallastCore

/// The one rule for what may be forwarded upstream: a `/v1/...` path made of plain segments.
///
/// The check runs on the path exactly as the client sent it (still percent-encoded) because
/// libmicrohttpd decodes the path it hands over, turning `/v1/..%2f..%2fx` into
/// `/v1/../../x` and hiding which `/` the client encoded. Anything a server or libcurl might
/// normalise differently from Ballast is refused, not repaired: `.` and `..` segments (plain
/// or encoded), an encoded `/` or `\`, a backslash, an empty segment, a control character, a
/// broken escape. The path that passes is forwarded as sent (and libcurl is told not to
/// rewrite it: `CURLOPT_PATH_AS_IS`), so what was checked is what the upstream sees.
/// Before this, `/v1/../v1/organizations/../../api/keys` reached the upstream as
/// `GET /api/keys` carrying the organisation's key (README, "Security").
enum ProxyPath {
    enum Verdict: Equatable {
        /// The decoded path, which equals the sent one up to harmless escapes.
        case forward(decoded: String)
        case notFound
        case invalid(String)
    }

    static func check(raw: String) -> Verdict {
        let bytes = Array(raw.utf8)
        var decoded: [UInt8] = []
        decoded.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            let byte = bytes[index]
            if byte == UInt8(ascii: "\\") { return .invalid("a backslash is not allowed in a request path") }
            guard byte == UInt8(ascii: "%") else {
                decoded.append(byte)
                index += 1
                continue
            }
            guard index + 2 < bytes.count, let high = hexValue(bytes[index + 1]), let low = hexValue(bytes[index + 2]) else {
                return .invalid("the request path has a malformed percent escape")
            }
            let value = high << 4 | low
            switch value {
            case UInt8(ascii: "/"): return .invalid("an encoded '/' (%2F) is not allowed in a request path")
            case UInt8(ascii: "\\"): return .invalid("an encoded backslash (%5C) is not allowed in a request path")
            case UInt8(ascii: "."): return .invalid("an encoded '.' (%2E) is not allowed in a request path")
            default: decoded.append(value)
            }
            index += 3
        }
        if decoded.contains(where: { $0 < 0x20 || $0 == 0x7F }) {
            return .invalid("a control character is not allowed in a request path")
        }
        guard let text = String(validating: decoded, as: UTF8.self) else {
            return .invalid("the request path is not valid UTF-8")
        }
        guard text.hasPrefix("/v1/") else {
            // Dot segments are refused before the prefix is judged: `/v1/../x` is not a
            // harmless 404 but an attempt to leave /v1/.
            return segmentsAreClean(text) ? .notFound : .invalid(dotSegmentMessage)
        }
        let segments = text.dropFirst().split(separator: "/", omittingEmptySubsequences: false)
        for (position, segment) in segments.enumerated() {
            if segment == "." || segment == ".." { return .invalid(dotSegmentMessage) }
            // A trailing slash is a (harmless) empty last segment; `//` inside is not.
            if segment.isEmpty, position != segments.count - 1 {
                return .invalid("an empty segment ('//') is not allowed in a request path")
            }
        }
        return .forward(decoded: text)
    }

    static let dotSegmentMessage = "'.' and '..' segments are not allowed in a request path"

    private static func segmentsAreClean(_ text: String) -> Bool {
        !text.split(separator: "/").contains { $0 == "." || $0 == ".." }
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
