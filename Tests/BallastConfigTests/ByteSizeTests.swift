import BallastConfig
import Testing

@Suite struct ByteSizeTests {
    @Test(arguments: [
        ("100", 100), ("100B", 100), ("32MB", 32_000_000), ("32mb", 32_000_000), ("32 MB", 32_000_000),
        ("1KB", 1_000), ("1KiB", 1_024), ("32MiB", 33_554_432), ("1.5GB", 1_500_000_000), ("2GiB", 2_147_483_648),
        ("0", 0),
    ])
    func parses(text: String, bytes: Int) {
        #expect(ByteSize.bytes(text) == bytes)
    }

    @Test(arguments: ["", "MB", "-1MB", "32XB", "1.5B", "1.5", "12 parsecs", "1e3", "inf", "99999999999GB"])
    func rejects(text: String) {
        #expect(ByteSize.bytes(text) == nil)
    }

    @Test func formats() {
        #expect(ByteSize.format(32_000_000) == "32MB")
        #expect(ByteSize.format(33_554_432) == "32MiB")
        #expect(ByteSize.format(1_500) == "1500B")
    }
}
