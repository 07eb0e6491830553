@testable import BallastTesting
import Testing

@Suite struct ScheduleTests {
    let base = FaultSettings(errorRatios: [500: 0.1])
    let schedule = [
        FaultScheduleEntry(at: 10, duration: 15, faults: FaultOverride(outage: true)),
        FaultScheduleEntry(at: 20, faults: FaultOverride(errorRatios: [529: 0.5])),
    ]

    @Test func entriesApplyOnlyInsideTheirWindow() {
        func at(_ t: Double) -> FaultSettings {
            FaultScheduleEntry.effectiveFaults(base: base, schedule: schedule, elapsed: t)
        }
        #expect(at(0) == base)
        #expect(at(9.999) == base)
        #expect(at(10) == FaultSettings(errorRatios: [500: 0.1], outage: true))
        #expect(at(19) == FaultSettings(errorRatios: [500: 0.1], outage: true))
        // Overlap: both apply, in order; the second replaces only the error ratios.
        #expect(at(21) == FaultSettings(errorRatios: [529: 0.5], outage: true))
        // The first ends at 25 (exclusive); the open-ended second stays.
        #expect(at(25) == FaultSettings(errorRatios: [529: 0.5]))
        #expect(at(10_000) == FaultSettings(errorRatios: [529: 0.5]))
    }
}
