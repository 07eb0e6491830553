import BallastCore
import RulesRuntime
import Testing

/// How long the rule controller's thread waits between evaluation steps: its tick, or less
/// when an open circuit is due to go half-open sooner. (Its other early wake, a probe's
/// answer, is a signal; the capacity simulation drives both in virtual time.)
@Suite struct RuleLoopPauseTests {
    func at(_ seconds: Double) -> MonotonicInstant { MonotonicInstant(nanoseconds: 0).adding(seconds: seconds) }

    @Test func theTickWithoutAnOpenCircuit() {
        #expect(RuleController.pause(interval: .milliseconds(500), nextCircuitDeadline: nil, now: at(10)) == 0.5)
        // Bounded to 50 ms - 1 s whatever the rule files say.
        #expect(RuleController.pause(interval: .seconds(30), nextCircuitDeadline: nil, now: at(10)) == 1)
        #expect(RuleController.pause(interval: .milliseconds(10), nextCircuitDeadline: nil, now: at(10)) == 0.05)
    }

    @Test func untilTheCircuitIsDueWhenThatComesFirst() {
        let pause = RuleController.pause(interval: .milliseconds(500), nextCircuitDeadline: at(10.2), now: at(10))
        #expect(abs(pause - 0.2) < 1e-9)
        #expect(RuleController.pause(interval: .milliseconds(500), nextCircuitDeadline: at(11), now: at(10)) == 0.5)
        // Due already (the step that saw it was running): at once, but never a busy loop.
        #expect(RuleController.pause(interval: .milliseconds(500), nextCircuitDeadline: at(9), now: at(10)) == 0.001)
    }
}
