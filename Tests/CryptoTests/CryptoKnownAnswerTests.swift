import Crypto
import Testing
@testable import BallastCore

/// Known answers from the standards and from the `openssl` command, so a wrong binding
/// (length, argument order, digest) cannot pass.
@Suite struct CryptoKnownAnswerTests {
    @Test func sha256MatchesFIPS180Examples() {
        #expect(Hex.encode(Digest.sha256("abc")) == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        #expect(Hex.encode(Digest.sha256("")) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        #expect(
            Hex.encode(Digest.sha256("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq"))
                == "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1")
    }

    /// RFC 4231 test cases 1, 2 and 6 (a key longer than the block size).
    @Test func hmacSHA256MatchesRFC4231() {
        #expect(
            Hex.encode(Digest.hmacSHA256(key: [UInt8](repeating: 0x0b, count: 20), data: "Hi There"))
                == "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7")
        #expect(
            Hex.encode(Digest.hmacSHA256(key: Array("Jefe".utf8), data: "what do ya want for nothing?"))
                == "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843")
        #expect(
            Hex.encode(
                Digest.hmacSHA256(
                    key: [UInt8](repeating: 0xaa, count: 131),
                    data: "Test Using Larger Than Block-Size Key - Hash Key First"))
                == "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54")
    }

    @Test func hexRoundTripsAndRefusesJunk() {
        #expect(Hex.decode("00ff10Ab") == [0, 255, 16, 0xab])
        #expect(Hex.decode("abc") == nil)
        #expect(Hex.decode("zz") == nil)
    }

    /// PKCS#1 v1.5 signatures are deterministic: this one was made with
    /// `openssl dgst -sha256 -sign key.pem` over the same message.
    @Test func rs256SignatureMatchesOpenSSLCommand() throws {
        let key = try RSAKey(pem: Self.privateKey)
        let message = Array("ballast rs256 known answer".utf8)
        let signature = try key.signSHA256(message)
        #expect(
            Hex.encode(signature)
                == "801e0897373e5c226cd29878fd81f53937c433cd66bb87ed98ac712da8cee40e4e546d41d880c48c67bb42f6d14261ab1199d2754feca269aaa5e4780754bd1e9279a9a7ee902b88ccc3b8fa3622fae1795fef4ffd979c135732a43de4933e48e62a3bc2e7598a7337a809134780944032fa55ef30183499641013ebc793ab64"
        )
        #expect(key.verifySHA256(signature: signature, data: message))
        let publicKey = try RSAKey(pem: key.publicKeyPEM())
        #expect(!publicKey.isPrivate)
        #expect(publicKey.verifySHA256(signature: signature, data: message))
        var tampered = signature
        tampered[10] ^= 1
        #expect(!publicKey.verifySHA256(signature: tampered, data: message))
        #expect(!publicKey.verifySHA256(signature: signature, data: message + [0]))
        #expect(throws: CryptoError.self) { try publicKey.signSHA256(message) }
    }

    @Test func generatedKeysSignAndExportAndDescriptionsHideThem() throws {
        let key = try RSAKey.generate(bits: 1024)
        let pem = try key.privateKeyPEM()
        #expect(pem.hasPrefix("-----BEGIN PRIVATE KEY-----"))
        let reread = try RSAKey(pem: pem)
        let signature = try reread.signSHA256([1, 2, 3])
        #expect(key.verifySHA256(signature: signature, data: [1, 2, 3]))
        #expect(!"\(key)".contains("BEGIN"))
    }

    @Test func junkIsNotAKey() {
        #expect(throws: CryptoError.self) { try RSAKey(pem: "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n") }
        #expect(throws: CryptoError.self) { try RSAKey(pem: "") }
    }

    static let privateKey = """
        -----BEGIN PRIVATE KEY-----
        MIICdgIBADANBgkqhkiG9w0BAQEFAASCAmAwggJcAgEAAoGBALaT9xA3S/pWhHVC
        orLifRwVStrDtjaizcpQUiqmRiWeGk1y3uy01KZr+zFtN1Hktd5qyI1owzws+fte
        ZvwxT4O/R3x1CXKga7scvNhS9HmW8eAFBBSGTzcyEc1T2RvoJbLEb97o3Vg4hjRx
        I1D7RrNS4VgovtbtY6E7Is/sxxtJAgMBAAECgYBZgeawg3tzCfE8D2P18MVG/EVL
        RIFS/bOHyKLPl95x2LWqXHNfdjN+NxfZnmJteoOSu6UAdmioWqBfFGPGpWIGLk//
        7Mqzs8AjekwITiqf38siqJVfeJjMus1BKs/Fj1dsU1dd7w560DMWKUAcQsbiJbx+
        6NeHfGlKfODCvNlAAQJBAPM2F+Cc/joj2Pd7Y6btheohs+MKcAb57RqAd6kEyurm
        JXtxmE2/8QHg0GO3d8NiteoBaW6F4SkCtM5c8bGcCAECQQDALa1N5Ru8wejd8Gje
        th4NiQH2AhaMw80ijjgteqqy3kRJCRoaGHzvu5QYlw/tOvvZ2qkeCmSj/7ljp9ss
        sNNJAkEAj3oL3//9okLfjjAGe8WHyLWVL41KxXLPQ2EiNl2Tb7vRxN8goE1pWlhL
        12e2iVdERgYLMp5cVBs6mrsOAl8wAQJAbdNswCBXmqbCettiQyyWvit3KG0HEAjx
        2XanWi5JERF+urJt7U3jUGnFd8wUuQFFXrncfiN4YlTJUM9jrQWcqQJAYfia46bV
        wSfTCaKGxbsxA3ly0VfWw4IxBJ4isdvauf0gUL93x+LQC3aiK94iIJnwrNvaoOua
        d9vzaOpIOW85eQ==
        -----END PRIVATE KEY-----
        """
}
