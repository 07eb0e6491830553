import COpenSSL

/// SHA-256 over data fed in pieces, through libcrypto's EVP interface: the response cache's
/// keys are taken over a body's parts without joining them first.
///
/// Noncopyable because it owns libcrypto's context: a copy would share one running digest.
public struct SHA256Hasher: ~Copyable {
    private let context: OpaquePointer

    public init() {
        // Allocation and the init of a built-in digest fail only when the allocator does.
        guard let context = EVP_MD_CTX_new(), EVP_DigestInit_ex(context, EVP_sha256(), nil) == 1 else {
            preconditionFailure("libcrypto SHA-256 context unavailable")
        }
        self.context = context
    }

    deinit { EVP_MD_CTX_free(context) }

    public mutating func update(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { update($0) }
    }

    public mutating func update(_ text: String) {
        var text = text
        text.withUTF8 { update(UnsafeRawBufferPointer($0)) }
    }

    public mutating func update(_ bytes: UnsafeRawBufferPointer) {
        guard bytes.count > 0 else { return }
        precondition(EVP_DigestUpdate(context, bytes.baseAddress, bytes.count) == 1, "libcrypto SHA-256 update failed")
    }

    /// The digest of everything fed so far; the hasher goes on from there (the running state
    /// is copied, not consumed), so a prefix's digest can be taken on the way.
    public func finalize() -> [UInt8] {
        guard let copy = EVP_MD_CTX_new() else { preconditionFailure("libcrypto SHA-256 context unavailable") }
        defer { EVP_MD_CTX_free(copy) }
        var out = [UInt8](repeating: 0, count: Digest.sha256Bytes)
        var size: UInt32 = 0
        let ok =
            EVP_MD_CTX_copy_ex(copy, context) == 1
            && out.withUnsafeMutableBufferPointer { EVP_DigestFinal_ex(copy, $0.baseAddress, &size) } == 1
        precondition(ok && size == UInt32(Digest.sha256Bytes), "libcrypto SHA-256 final failed")
        return out
    }
}
