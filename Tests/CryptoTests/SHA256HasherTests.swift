import Crypto
import Testing
@testable import BallastCore

@Suite("SHA-256 in pieces, through libcrypto")
struct SHA256Tests {
    @Test(
        "FIPS 180-4 test vectors",
        arguments: [
            ("", "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"),
            ("abc", "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"),
            (
                "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq",
                "248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"
            ),
            (
                "abcdefghbcdefghicdefghijdefghijkefghijklfghijklmghijklmnhijklmnoijklmnopjklmnopqklmnopqrlmnopqrsmnopqrstnopqrstu",
                "cf5b16a778af8380036ce59e7b0492370b249b11e8f07a51afac45037afee9d1"
            ),
        ])
    func vectors(message: String, expected: String) {
        #expect(Hex.encode(Digest.sha256(message)) == expected)
        #expect(Digest.sha256(message).count == Digest.sha256Bytes)
    }

    @Test("a million 'a's, fed in uneven pieces")
    func millionA() {
        var hasher = SHA256Hasher()
        let piece = [UInt8](repeating: UInt8(ascii: "a"), count: 999)
        var fed = 0
        while fed < 1_000_000 {
            let count = min(piece.count, 1_000_000 - fed)
            hasher.update(Array(piece[0..<count]))
            fed += count
        }
        #expect(Hex.encode(hasher.finalize()) == "cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0")
    }

    @Test(
        "padding boundaries (lengths around one and two blocks)",
        arguments: [
            (55, "9f4390f8d30c2dd92ec9f095b65e2b9ae9b0a925a5258e241c9f1e910f734318"),
            (56, "b35439a4ac6f0948b6d6f9e3c6af0f5f590ce20f1bde7090ef7970686ec6738a"),
            (63, "7d3e74a05d7db15bce4ad9ec0658ea98e3f06eeecf16b4c6fff2da457ddc2f34"),
            (64, "ffe054fe7ae0cb6dc65c3af9b61d5209f439851db43d0ba5997337df154668eb"),
            (119, "31eba51c313a5c08226adf18d4a359cfdfd8d2e816b13f4af952f7ea6584dcfb"),
            (120, "2f3d335432c70b580af0e8e1b3674a7c020d683aa5f73aaaedfdc55af904c21c"),
        ])
    func boundaries(length: Int, expected: String) {
        #expect(Hex.encode(Digest.sha256([UInt8](repeating: UInt8(ascii: "a"), count: length))) == expected)
    }

    @Test("incremental hashing equals one-shot hashing at every split point")
    func incremental() {
        let data = (0..<200).map { UInt8(truncatingIfNeeded: $0 &* 37 &+ 11) }
        let whole = Digest.sha256(data)
        for split in [0, 1, 55, 63, 64, 65, 127, 128, 199, 200] {
            var hasher = SHA256Hasher()
            hasher.update(Array(data[0..<split]))
            let early = hasher.finalize()  // finalize leaves the hasher usable
            hasher.update(Array(data[split...]))
            #expect(hasher.finalize() == whole)
            #expect(early == Digest.sha256(Array(data[0..<split])))
        }
    }
}
