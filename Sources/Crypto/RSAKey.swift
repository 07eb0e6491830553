import COpenSSL

/// An RSA key for RS256 (RSASSA-PKCS1-v1_5 with SHA-256), the signature of Google
/// service-account JWTs: sign with a private key, verify with either half.
///
/// The `EVP_PKEY` is freed in `deinit`; the key never leaves libcrypto except through
/// `privateKeyPEM()`, which only tests and `ballast-lab simulate` call. `description` never shows it.
public final class RSAKey: @unchecked Sendable, CustomStringConvertible {
    // Immutable after init, and libcrypto's sign and verify only read the key: safe to share.
    private let key: OpaquePointer
    public let isPrivate: Bool

    /// Reads a PEM private key (`BEGIN PRIVATE KEY` or `BEGIN RSA PRIVATE KEY`) or, failing
    /// that, a public key (`BEGIN PUBLIC KEY`).
    public init(pem: String) throws(CryptoError) {
        let bytes = Array(pem.utf8)
        func read(_ body: (OpaquePointer) -> OpaquePointer?) -> OpaquePointer? {
            bytes.withUnsafeBytes { raw -> OpaquePointer? in
                guard let bio = BIO_new_mem_buf(raw.baseAddress, Int32(raw.count)) else { return nil }
                defer { BIO_free(bio) }
                return body(bio)
            }
        }
        if let key = read({ PEM_read_bio_PrivateKey($0, nil, nil, nil) }) {
            self.key = key
            isPrivate = true
        } else if let key = read({ PEM_read_bio_PUBKEY($0, nil, nil, nil) }) {
            self.key = key
            isPrivate = false
        } else {
            ERR_clear_error()
            throw CryptoError("not a PEM RSA key")
        }
        guard EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA else {
            throw CryptoError("the PEM key is not an RSA key")
        }
    }

    private init(key: OpaquePointer) {
        self.key = key
        isPrivate = true
    }

    deinit { EVP_PKEY_free(key) }

    /// A fresh key pair, for tests and the simulator (2048 bits is what Google issues).
    public static func generate(bits: Int32 = 2048) throws(CryptoError) -> RSAKey {
        guard let context = EVP_PKEY_CTX_new_id(EVP_PKEY_RSA, nil) else { throw CryptoError("EVP_PKEY_CTX_new_id failed") }
        defer { EVP_PKEY_CTX_free(context) }
        var key: OpaquePointer?
        guard EVP_PKEY_keygen_init(context) == 1, EVP_PKEY_CTX_set_rsa_keygen_bits(context, bits) == 1,
            EVP_PKEY_keygen(context, &key) == 1, let key
        else {
            ERR_clear_error()
            throw CryptoError("RSA key generation failed")
        }
        return RSAKey(key: key)
    }

    public var description: String { isPrivate ? "RSA private key (redacted)" : "RSA public key" }

    /// RS256 signature of `data`.
    public func signSHA256(_ data: [UInt8]) throws(CryptoError) -> [UInt8] {
        guard isPrivate else { throw CryptoError("a public key cannot sign") }
        guard let context = EVP_MD_CTX_new() else { throw CryptoError("EVP_MD_CTX_new failed") }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestSignInit(context, nil, EVP_sha256(), nil, key) == 1 else {
            ERR_clear_error()
            throw CryptoError("EVP_DigestSignInit failed")
        }
        var size = 0
        let sized = data.withUnsafeBufferPointer { EVP_DigestSign(context, nil, &size, $0.baseAddress, $0.count) }
        guard sized == 1 else {
            ERR_clear_error()
            throw CryptoError("EVP_DigestSign failed")
        }
        var signature = [UInt8](repeating: 0, count: size)
        let signed = data.withUnsafeBufferPointer { input in
            signature.withUnsafeMutableBufferPointer { EVP_DigestSign(context, $0.baseAddress, &size, input.baseAddress, input.count) }
        }
        guard signed == 1 else {
            ERR_clear_error()
            throw CryptoError("EVP_DigestSign failed")
        }
        return Array(signature.prefix(size))
    }

    /// True when `signature` is this key's RS256 signature of `data`.
    public func verifySHA256(signature: [UInt8], data: [UInt8]) -> Bool {
        guard let context = EVP_MD_CTX_new() else { return false }
        defer { EVP_MD_CTX_free(context) }
        guard EVP_DigestVerifyInit(context, nil, EVP_sha256(), nil, key) == 1 else {
            ERR_clear_error()
            return false
        }
        let result = signature.withUnsafeBufferPointer { sig in
            data.withUnsafeBufferPointer { EVP_DigestVerify(context, sig.baseAddress, sig.count, $0.baseAddress, $0.count) }
        }
        if result != 1 { ERR_clear_error() }
        return result == 1
    }

    /// The private key as PKCS#8 PEM (for writing a test service-account file).
    public func privateKeyPEM() throws(CryptoError) -> String {
        guard isPrivate else { throw CryptoError("not a private key") }
        return try write { PEM_write_bio_PrivateKey($0, key, nil, nil, 0, nil, nil) }
    }

    /// The public half as `BEGIN PUBLIC KEY` PEM.
    public func publicKeyPEM() throws(CryptoError) -> String {
        try write { PEM_write_bio_PUBKEY($0, key) }
    }

    private func write(_ body: (OpaquePointer) -> Int32) throws(CryptoError) -> String {
        guard let bio = BIO_new(BIO_s_mem()) else { throw CryptoError("BIO_new failed") }
        defer { BIO_free(bio) }
        guard body(bio) == 1 else {
            ERR_clear_error()
            throw CryptoError("PEM write failed")
        }
        let pending = Int(BIO_ctrl_pending(bio))
        var bytes = [UInt8](repeating: 0, count: pending)
        let read = bytes.withUnsafeMutableBytes { BIO_read(bio, $0.baseAddress, Int32(pending)) }
        return String(decoding: bytes.prefix(max(0, Int(read))), as: UTF8.self)
    }
}
