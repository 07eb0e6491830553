import Resilience
import Testing

@Suite struct RFC3339TimestampTests {
    @Test func parsesTheHeaderForm() {
        #expect(RFC3339Timestamp.parse("2026-11-26T16:20:00Z") == 1_795_710_000)
        #expect(RFC3339Timestamp.parse("1970-01-01T00:00:00Z") == 0)
        #expect(RFC3339Timestamp.parse("2000-03-01T00:00:00Z") == 951_868_800)
    }

    @Test func fractionsOffsetsAndLeapDays() {
        #expect(RFC3339Timestamp.parse("2024-02-29T23:59:59.250Z") == 1_709_251_199.25)
        #expect(RFC3339Timestamp.parse("2026-11-26T17:20:00+01:00") == 1_795_710_000)
        #expect(RFC3339Timestamp.parse("2026-11-26T15:50:00-00:30") == 1_795_710_000)
        #expect(RFC3339Timestamp.parse("2026-11-26t16:20:00z") == 1_795_710_000)
    }

    @Test(arguments: [
        "", "2026-11-26", "2026-11-26T16:20:00", "2026-13-01T00:00:00Z", "2025-02-29T00:00:00Z",
        "2026-11-26T24:00:00Z", "2026-11-26T16:20:00.Z", "2026-11-26T16:20:00Zjunk", "Wed, 21 Oct 2026 07:28:00 GMT",
    ])
    func rejectsOtherText(text: String) {
        #expect(RFC3339Timestamp.parse(text) == nil)
    }
}
