import BallastConfig
import Testing

/// `server.stream_buffer`: the relay's queue per stream before the upstream pauses.
@Suite struct StreamBufferConfigTests {
    @Test func readsAByteSizeOfAtLeastOneKiB() throws {
        #expect(try GatewayConfig.parse(minimalRegions, file: "t.yaml").server.streamBufferBytes == 256 * 1024)
        #expect(try GatewayConfig.parse("server: { stream_buffer: 64KiB }\n" + minimalRegions, file: "t.yaml").server.streamBufferBytes == 64 * 1024)
        let issues = configIssues("server: { stream_buffer: 512 }\n" + minimalRegions)
        #expect(issues.map(\.message) == ["'server.stream_buffer' must be at least 1 KiB"])
    }
}
