/// FNV-1a 64 with a SplitMix finaliser: a hash that, unlike `Hasher`, is the same in every
/// process, so a request's reply text is the same across runs.
struct StableHash: Sendable {
    private(set) var state: UInt64 = 0xCBF2_9CE4_8422_2325

    init() {}

    mutating func feed(_ text: String) {
        for byte in text.utf8 { feed(byte) }
    }

    mutating func feed(_ value: UInt64) {
        for shift in stride(from: 0, to: 64, by: 8) { feed(UInt8(truncatingIfNeeded: value >> UInt64(shift))) }
    }

    mutating func feed(_ byte: UInt8) {
        state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01B3
    }

    var value: UInt64 { Self.mix(state) }

    /// The SplitMix64 finaliser: spreads nearby inputs over the whole range.
    static func mix(_ x: UInt64) -> UInt64 {
        var z = x &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
