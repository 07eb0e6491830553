@testable import BallastTesting
import Testing
@testable import BallastSimulator

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

    @Test func modelScopedEntriesApplyOnlyToTheirModels() {
        let scoped = [
            FaultScheduleEntry(
                at: 5, duration: 10, faults: FaultOverride(errorRatios: [529: 1]),
                models: ["claude-opus-*"])
        ]
        func at(_ t: Double, _ model: String?) -> FaultSettings {
            FaultScheduleEntry.effectiveFaults(base: base, schedule: scoped, elapsed: t, model: model)
        }
        #expect(at(6, "claude-opus-4-1") == FaultSettings(errorRatios: [529: 1]))
        #expect(at(6, "claude-sonnet-4-5") == base)
        #expect(at(16, "claude-opus-4-1") == base)
        // Decisions made before the body is read (outage, refused connections) ignore them.
        #expect(at(6, nil) == base)
    }

    @Test func modelPatternsMatchWithStars() {
        #expect(FaultScheduleEntry.matches("claude-opus-4-1", pattern: "claude-opus-4-1"))
        #expect(!FaultScheduleEntry.matches("claude-opus-4-10", pattern: "claude-opus-4-1"))
        #expect(FaultScheduleEntry.matches("claude-opus-4-1", pattern: "claude-opus-*"))
        #expect(FaultScheduleEntry.matches("claude-opus-4-1", pattern: "*opus*"))
        #expect(FaultScheduleEntry.matches("claude-opus-4-1", pattern: "claude-*-4-1"))
        #expect(!FaultScheduleEntry.matches("claude-sonnet-4-5", pattern: "claude-*-4-1"))
        #expect(FaultScheduleEntry.matches("anything", pattern: "*"))
        #expect(!FaultScheduleEntry.matches("ab", pattern: "ab*b"))
    }
}
