import BallastSimulator
import Telemetry
import Testing

@Suite("Telemetry benchmark API")
struct TelemetryBenchmarkTests {
    @Test("measureWrites commits every record and reports a rate")
    func smoke() throws {
        let directory = try TemporaryDirectory()
        let result = try TelemetryBenchmark.measureWrites(path: directory.path("b.db"), records: 2_000)
        #expect(result.records == 2_000)
        #expect(result.attempts >= 2_000)
        #expect(result.recordsPerSecond > 0)
        #expect(result.fileBytes > 0)
        let store = try TelemetryStore(path: directory.path("b.db"))
        #expect(try store.scalar("SELECT count(*) FROM requests") == "2000")
        #expect(try store.scalar("SELECT sum(requests) FROM rollup_minute") == "2000")
    }
}
