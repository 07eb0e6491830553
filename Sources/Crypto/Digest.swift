import COpenSSL

/// SHA-256 and HMAC-SHA256 from libcrypto.
///
/// SigV4 hashes every Bedrock request body and runs five HMACs per signature; libcrypto's
/// assembly SHA-256 is what the signing cost in `docs/benchmarks.md` was measured with.
public enum Digest {
    /// The SHA-256 digest size in bytes.
    public static let sha256Bytes = 32

    public static func sha256(_ bytes: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: sha256Bytes)
        var size: UInt32 = 0
        let ok = bytes.withUnsafeBytes { input in
            out.withUnsafeMutableBufferPointer { output in
                EVP_Digest(input.baseAddress, input.count, output.baseAddress, &size, EVP_sha256(), nil)
            }
        }
        // EVP_Digest fails only when the allocator does: there is no way to go on without a digest.
        precondition(ok == 1 && size == UInt32(sha256Bytes), "libcrypto SHA-256 failed")
        return out
    }

    public static func sha256(_ text: String) -> [UInt8] { sha256(Array(text.utf8)) }

    public static func hmacSHA256(key: [UInt8], data: [UInt8]) -> [UInt8] {
        var out = [UInt8](repeating: 0, count: sha256Bytes)
        var size: UInt32 = 0
        let result = key.withUnsafeBytes { keyBytes in
            data.withUnsafeBytes { input in
                out.withUnsafeMutableBufferPointer { output in
                    HMAC(
                        EVP_sha256(), keyBytes.baseAddress, Int32(keyBytes.count),
                        input.baseAddress?.assumingMemoryBound(to: UInt8.self), input.count, output.baseAddress, &size)
                }
            }
        }
        precondition(result != nil && size == UInt32(sha256Bytes), "libcrypto HMAC-SHA256 failed")
        return out
    }

    public static func hmacSHA256(key: [UInt8], data: String) -> [UInt8] { hmacSHA256(key: key, data: Array(data.utf8)) }

    /// Whether two byte strings are equal, in time that depends on their length only
    /// (`CRYPTO_memcmp`): comparing a presented token's digest must not tell an attacker how
    /// many leading bytes were right.
    public static func constantTimeEqual(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        guard a.count == b.count else { return false }
        guard !a.isEmpty else { return true }
        return a.withUnsafeBytes { x in b.withUnsafeBytes { y in CRYPTO_memcmp(x.baseAddress, y.baseAddress, a.count) == 0 } }
    }
}
