public import BallastCore
import Crypto

/// AWS Signature Version 4 for one service and region (Bedrock: service `bedrock`).
///
/// The canonical request follows botocore's `SigV4Auth` for non-S3 services: the path as
/// sent, URI-encoded once more (so `%3A` in a path signs as `%253A`), the query sorted, every
/// header given to `sign` signed (names lower-case, values trimmed, inner spaces collapsed),
/// and the body's SHA-256 as the payload hash. The e2e suite checks Ballast's signatures
/// against botocore's own computation, and the simulator recomputes them with `signature`.
public struct SigV4Signer: Sendable {
    public var service: String
    public var region: String

    public init(service: String, region: String) {
        self.service = service
        self.region = region
    }

    public static let algorithm = "AWS4-HMAC-SHA256"

    /// Adds `x-amz-date`, `x-amz-security-token` (temporary credentials) and `authorization`
    /// to `headers`, which must already hold `host` and every other header to be signed.
    public func sign(
        method: String, path: String, query: String = "", headers: inout HTTPHeaders, body: [UInt8],
        credentials: AWSCredentials, unixSeconds: Double
    ) {
        let time = AWSTimestamp(unixSeconds: unixSeconds)
        headers.set("x-amz-date", time.dateTime)
        if let token = credentials.sessionToken { headers.set("x-amz-security-token", token) }
        let signed = Self.signedHeaderNames(headers)
        let signature = self.signature(
            method: method, path: path, query: query, headers: headers, signedHeaders: signed,
            payloadHash: Hex.encode(Digest.sha256(body)), time: time,
            secretAccessKey: credentials.secretAccessKey)
        headers.set(
            "authorization",
            "\(Self.algorithm) Credential=\(credentials.accessKeyID)/\(scope(time)), "
                + "SignedHeaders=\(signed.joined(separator: ";")), Signature=\(signature)")
    }

    /// The hex signature over a request, as the service recomputes it.
    public func signature(
        method: String, path: String, query: String, headers: HTTPHeaders, signedHeaders: [String],
        payloadHash: String, time: AWSTimestamp, secretAccessKey: String
    ) -> String {
        let canonical = Self.canonicalRequest(
            method: method, path: path, query: query, headers: headers,
            signedHeaders: signedHeaders, payloadHash: payloadHash)
        let toSign = "\(Self.algorithm)\n\(time.dateTime)\n\(scope(time))\n\(Hex.encode(Digest.sha256(canonical)))"
        var key = Digest.hmacSHA256(key: Array("AWS4\(secretAccessKey)".utf8), data: time.date)
        key = Digest.hmacSHA256(key: key, data: region)
        key = Digest.hmacSHA256(key: key, data: service)
        key = Digest.hmacSHA256(key: key, data: "aws4_request")
        return Hex.encode(Digest.hmacSHA256(key: key, data: toSign))
    }

    public func scope(_ time: AWSTimestamp) -> String { "\(time.date)/\(region)/\(service)/aws4_request" }

    /// Every header but those proxies and clients change on the way (botocore leaves out the same).
    static func signedHeaderNames(_ headers: HTTPHeaders) -> [String] {
        Array(Set(headers.map(\.name)).subtracting(["authorization", "user-agent", "expect", "x-amzn-trace-id"])).sorted()
    }

    public static func canonicalRequest(
        method: String, path: String, query: String, headers: HTTPHeaders,
        signedHeaders: [String], payloadHash: String
    ) -> String {
        var lines = [method, uriEncode(path.isEmpty ? "/" : path, keepSlash: true), canonicalQuery(query)]
        for name in signedHeaders {
            let values = headers.filter { $0.name == name }.map { collapse($0.value) }
            lines.append("\(name):\(values.joined(separator: ","))")
        }
        lines.append("")
        lines.append(signedHeaders.joined(separator: ";"))
        lines.append(payloadHash)
        return lines.joined(separator: "\n")
    }

    static func canonicalQuery(_ query: String) -> String {
        guard !query.isEmpty else { return "" }
        let pairs = query.split(separator: "&").map { part -> (String, String) in
            let pieces = part.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
            let name = percentDecode(String(pieces[0]))
            let value = pieces.count > 1 ? percentDecode(String(pieces[1])) : ""
            return (uriEncode(name, keepSlash: false), uriEncode(value, keepSlash: false))
        }
        return pairs.sorted { $0.0 == $1.0 ? $0.1 < $1.1 : $0.0 < $1.0 }.map { "\($0.0)=\($0.1)" }.joined(separator: "&")
    }

    /// `%XX` back to bytes (`+` stays: SigV4 queries are not form-encoded); a bad escape stays as written.
    static func percentDecode(_ text: String) -> String {
        let bytes = Array(text.utf8)
        guard bytes.contains(UInt8(ascii: "%")) else { return text }
        var out: [UInt8] = []
        var index = 0
        while index < bytes.count {
            if bytes[index] == UInt8(ascii: "%"), index + 2 < bytes.count,
                let value = UInt8(String(decoding: bytes[(index + 1)...(index + 2)], as: UTF8.self), radix: 16)
            {
                out.append(value)
                index += 3
            } else {
                out.append(bytes[index])
                index += 1
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    private static func collapse(_ value: String) -> String {
        value.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    private static let hexDigits = Array("0123456789ABCDEF".utf8)

    /// RFC 3986 encoding: unreserved characters stay, every other byte becomes `%XX`.
    public static func uriEncode(_ text: String, keepSlash: Bool) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count)
        for byte in text.utf8 {
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "0")...UInt8(ascii: "9"),
                UInt8(ascii: "-"), UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "~"):
                out.append(byte)
            case UInt8(ascii: "/") where keepSlash:
                out.append(byte)
            default:
                out += [UInt8(ascii: "%"), hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xf)]]
            }
        }
        return String(decoding: out, as: UTF8.self)
    }
}
