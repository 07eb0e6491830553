import Synchronization

/// Makes `msg_…` and `req_…` identifiers shaped like the real API's: deterministic per
/// region (seed and a counter) without touching the region's fault random stream.
final class IdentifierMaker: Sendable {
    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz".utf8)
    private let seed: UInt64
    private let counter = Atomic<UInt64>(0)

    init(seed: UInt64) { self.seed = seed }

    /// `prefix` + "01" + 22 base-62 characters, e.g. `msg_01XFDUDYJgAACzvnptvVoYEL`.
    func make(_ prefix: String) -> String {
        let n = counter.add(1, ordering: .relaxed).newValue
        var a = StableHash.mix(seed ^ n)
        var b = StableHash.mix(a ^ 0xA5A5_5A5A_F00D_CAFE)
        var bytes: [UInt8] = Array(prefix.utf8) + [UInt8(ascii: "0"), UInt8(ascii: "1")]
        for index in 0..<22 {
            if index < 11 {
                bytes.append(Self.alphabet[Int(a % 62)])
                a /= 62
            } else {
                bytes.append(Self.alphabet[Int(b % 62)])
                b /= 62
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
