import Crypto

public import BallastCore
public import JSON

/// What identifies a cacheable request: a SHA-256 over the credential's fingerprint, the
/// path, the headers that change the answer and the canonical body.
///
/// Two requests get the same key when they would get the same answer from the API:
/// - the body is compared as JSON, not as bytes: member order, whitespace and number
///   spelling do not matter (`JSONValue.canonicalBytes`);
/// - `stream` is dropped, so a streamed request and a plain one share an answer (the cache
///   stores a complete Message and re-streams it, see `StreamSynthesizer`);
/// - `metadata` is dropped: it only tags the request for abuse tracking (`user_id`) and
///   does not change what the model says;
/// - `anthropic-version` counts; `anthropic-beta` counts as a set (order and repeats of the
///   comma-separated flags do not matter);
/// - the credential counts: requests under different API keys never share a key, so a hit
///   can never cross keys even before the fingerprint check in `ResponseCache.lookup`.
///
/// Hashable and Sendable, so the gateway can use it as the `SingleFlight` key for coalescing
/// identical concurrent requests. Neither the credential nor the body is kept: only hashes.
public struct CacheKey: Hashable, Sendable, CustomStringConvertible {
    /// The key: SHA-256 of the parts above, 64 lower-case hex digits.
    public let hex: String
    /// SHA-256 of the credential identity alone (domain-separated from the key), 64 hex
    /// digits. Stored next to each cached answer; a lookup returns an answer only when the
    /// fingerprints match.
    public let fingerprint: String

    /// Top-level body members that never change the answer.
    public static let ignoredBodyFields: Set<String> = ["stream", "metadata"]

    /// Builds the key of one request.
    /// - Parameters:
    ///   - credential: what identifies the caller upstream: the client's `x-api-key` or
    ///     `Authorization` value when clients bring their own keys, or a constant naming the
    ///     mode (e.g. `"static"`, `"oauth"`) when Ballast supplies the credential itself. It is
    ///     hashed here and never stored.
    ///   - path: the request path without the query, e.g. `/v1/messages`.
    ///   - body: the JSON request body.
    ///   - headers: the request headers; only `anthropic-version` and `anthropic-beta` are read.
    /// - Throws: `JSONParseError` when the body is not a strict JSON object; such a request is
    ///   not cacheable (the API will reject it anyway).
    public init(credential: String, path: String, body: [UInt8], headers: HTTPHeaders) throws(JSONParseError) {
        let canonical = try Self.canonicalBody(body)
        let fingerprint = Self.fingerprint(credential: credential)
        var versions: [String] = []
        var betas = Set<String>()
        for field in headers {
            if field.name == "anthropic-version" {
                versions.append(String(field.value.trimmingSpaces()))
            } else if field.name == "anthropic-beta" {
                for flag in field.value.split(separator: ",") {
                    let trimmed = String(flag).trimmingSpaces()
                    if !trimmed.isEmpty { betas.insert(String(trimmed)) }
                }
            }
        }
        let sortedBetas = betas.sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }

        var hasher = SHA256Hasher()
        hasher.update("ballast-cache-key-v1\n")
        Self.part("credential", Array(fingerprint.utf8), into: &hasher)
        Self.part("path", Array(path.utf8), into: &hasher)
        Self.part("anthropic-version", Array(versions.joined(separator: ",").utf8), into: &hasher)
        Self.part("anthropic-beta", Array(sortedBetas.joined(separator: ",").utf8), into: &hasher)
        Self.part("body", canonical, into: &hasher)
        self.init(hex: Hex.encode(hasher.finalize()), fingerprint: fingerprint)
    }

    /// A key from its stored parts.
    public init(hex: String, fingerprint: String) {
        self.hex = hex
        self.fingerprint = fingerprint
    }

    /// The fingerprint of a credential identity: SHA-256 of a fixed prefix and the identity,
    /// in hex. The prefix keeps it from ever equalling a plain hash of the key someone else
    /// might log. API keys carry well over 128 bits of randomness, so the hash cannot be
    /// reversed by guessing.
    public static func fingerprint(credential: String) -> String {
        var hasher = SHA256Hasher()
        hasher.update("ballast-credential-v1\n")
        hasher.update(credential)
        return Hex.encode(hasher.finalize())
    }

    /// The body in canonical form, without the members that do not change the answer.
    /// - Throws: `JSONParseError` unless the body is a JSON object.
    public static func canonicalBody(_ body: [UInt8]) throws(JSONParseError) -> [UInt8] {
        var value = try JSONParser.parse(body)
        guard case .object = value else { throw JSONParseError(offset: 0, reason: "expected a JSON object") }
        for field in ignoredBodyFields { value.remove(field) }
        return value.canonicalBytes()
    }

    /// Each part as `name:length:bytes\n`: lengths make the encoding unambiguous whatever
    /// the parts contain.
    private static func part(_ name: String, _ bytes: [UInt8], into hasher: inout SHA256Hasher) {
        hasher.update("\(name):\(bytes.count):")
        hasher.update(bytes)
        hasher.update("\n")
    }

    /// Only a prefix of the key: enough for logs, and no part of any credential.
    public var description: String { "CacheKey(\(hex.prefix(16)))" }
}
