package import BallastCore
import Crypto

/// A client key's fingerprint: the first 16 hex digits of its SHA-256. Config names client
/// key groups by fingerprints, so no key is ever written in a config file, a log or the store.
package enum KeyFingerprint {
    package static func of(_ key: String) -> String {
        String(Hex.encode(Digest.sha256(key)).prefix(16))
    }

    /// The credential a request carries: `x-api-key`, else the bearer token.
    package static func clientKey(_ headers: HTTPHeaders) -> String? {
        if let key = headers["x-api-key"], !key.isEmpty { return key }
        guard let authorization = headers["authorization"] else { return nil }
        let parts = authorization.split(separator: " ", maxSplits: 1)
        return parts.count == 2 && parts[0].lowercased() == "bearer" ? String(parts[1]) : nil
    }
}
