/// Which of 10,000 buckets a request falls in for a canary: FNV-1a 64 over the canary's name
/// and the sticky value, with a SplitMix finaliser. The same in every process and on every
/// instance, so a conversation stays on its side across restarts; and a request on the new
/// side stays there as the share grows (the new side is the buckets below share x 10,000).
package enum CanaryBucket {
    static let count = 10_000

    static func of(canary: String, value: String) -> Int {
        var state: UInt64 = 0xCBF2_9CE4_8422_2325
        for byte in canary.utf8 { state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        state = (state ^ 0x1F) &* 0x0000_0100_0000_01B3
        for byte in value.utf8 { state = (state ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var z = state &+ 0x9E37_79B9_7F4A_7C15
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        z ^= z >> 31
        return Int(z % UInt64(count))
    }

    /// True when `bucket` is on the new side at `share` (0...1).
    static func isNew(bucket: Int, share: Double) -> Bool {
        Double(bucket) < (share * Double(count)).rounded()
    }
}
