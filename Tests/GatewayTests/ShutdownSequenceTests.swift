import BallastCore
import Gateway
import Testing

/// The stop sequence in virtual time: no sleeping, every instant explicit.
@Suite struct ShutdownSequenceTests {
    let start = MonotonicInstant(nanoseconds: 1_000_000_000)

    @Test func sigtermAnnouncesThenClosesAfterTheDelay() {
        var sequence = ShutdownSequence(delay: 5, grace: 30)
        #expect(sequence.isReady)
        #expect(sequence.receive(.terminate, at: start) == .wait(until: start.adding(seconds: 5)))
        #expect(!sequence.isReady, "readiness must go at the signal itself")
        #expect(sequence.phase == .announced(closeAt: start.adding(seconds: 5)))
        // Woken early (a SIGHUP, a spurious wake-up): keep waiting for the same instant.
        #expect(sequence.tick(at: start.adding(seconds: 4.999)) == .wait(until: start.adding(seconds: 5)))
        #expect(sequence.tick(at: start.adding(seconds: 5)) == .closeListener(grace: 30))
        #expect(sequence.phase == .draining(deadline: start.adding(seconds: 35)))
        #expect(sequence.tick(at: start.adding(seconds: 6)) == .none)
        #expect(sequence.receive(.terminate, at: start.adding(seconds: 7)) == .none, "the listener closes once")
    }

    @Test func aSecondSignalOrCtrlCSkipsTheDelay() {
        var twice = ShutdownSequence(delay: 5, grace: 10)
        _ = twice.receive(.terminate, at: start)
        #expect(twice.receive(.terminate, at: start.adding(seconds: 1)) == .closeListener(grace: 10))
        #expect(twice.phase == .draining(deadline: start.adding(seconds: 11)))

        var interrupted = ShutdownSequence(delay: 5, grace: 10)
        #expect(interrupted.receive(.interrupt, at: start) == .closeListener(grace: 10))
        #expect(!interrupted.isReady)
    }

    @Test func noDelayClosesAtOnce() {
        var sequence = ShutdownSequence(delay: 0, grace: 2)
        #expect(sequence.receive(.terminate, at: start) == .closeListener(grace: 2))
        #expect(sequence.tick(at: start) == .none)
    }
}
