/// CRC-32 (IEEE 802.3, reflected polynomial 0xEDB88320), the checksum of AWS event-stream
/// prelude and message: the same as zlib's `crc32`.
public enum CRC32 {
    private static let table: [UInt32] = (0..<256).map { index in
        var value = UInt32(index)
        for _ in 0..<8 { value = value & 1 == 1 ? 0xEDB8_8320 ^ (value >> 1) : value >> 1 }
        return value
    }

    /// Continues `crc` (0 to start) over `bytes`.
    public static func update(_ crc: UInt32, _ bytes: some Sequence<UInt8>) -> UInt32 {
        var value = ~crc
        for byte in bytes { value = table[Int((value ^ UInt32(byte)) & 0xff)] ^ (value >> 8) }
        return ~value
    }

    public static func checksum(_ bytes: some Sequence<UInt8>) -> UInt32 { update(0, bytes) }

    /// The hot path (every byte of a Bedrock stream, twice): straight over the bytes, no iterator.
    public static func checksum(_ bytes: ArraySlice<UInt8>) -> UInt32 {
        bytes.withUnsafeBufferPointer { buffer in
            table.withUnsafeBufferPointer { table in
                var value: UInt32 = ~0
                for byte in buffer { value = table[Int((value ^ UInt32(byte)) & 0xff)] ^ (value >> 8) }
                return ~value
            }
        }
    }
}
