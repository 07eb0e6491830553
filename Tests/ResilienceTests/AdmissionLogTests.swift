import BallastCore
import Testing

@testable import Resilience

/// The admissions log answers "what was sent after this answer's request", which the pacing
/// model subtracts from the upstream's `remaining`: it must count every admission due after
/// the instant, whatever the order they were logged in.
@Suite struct AdmissionLogTests {
    func at(_ seconds: Double) -> MonotonicInstant { MonotonicInstant(nanoseconds: 1_000_000_000).adding(seconds: seconds) }

    /// Reservations due at 1, 2 and 3 s, then a request admitted at once at 0.5 s (or a waiting
    /// one sent early): logged last, due first. In the order of logging, the sum after 1.5 s
    /// stopped at it and counted nothing.
    @Test func anAdmissionDueBeforeReservationsLoggedEarlierIsCountedInOrder() {
        var log = AdmissionLog()
        for due in [1.0, 2.0, 3.0] { log.append(due: at(due), cost: .zero) }
        log.append(due: at(0.5), cost: RequestCost(inputTokens: 10, outputTokens: 0))
        #expect(log.sum(after: at(1.5)).requests == 2)
        #expect(log.sum(after: at(0.4)).requests == 4)
        #expect(log.sum(after: at(0.4)).cost.inputTokens == 10)
        let voided = log.void(due: at(2.0))
        #expect(voided)
        #expect(log.sum(after: at(1.5)).requests == 1)
    }

    /// Past its capacity the log drops the admission due first; what it answers matches a
    /// plain sorted list of the same admissions.
    @Test func aFullLogMatchesASortedListOfItsAdmissions() {
        var log = AdmissionLog()
        var reference: [Double] = []
        var random = SeededRandom(seed: 7)
        var time = 0.0
        for _ in 0..<(AdmissionLog.capacity + 3000) {
            time += 0.001
            // Mostly reservations a little ahead; one in ten admitted now, behind them.
            let due = random.unit() < 0.1 ? time : time + random.unit() * 0.5
            log.append(due: at(due), cost: .zero)
            reference.insert(due, at: reference.firstIndex { $0 > due } ?? reference.count)
            if reference.count > AdmissionLog.capacity { reference.removeFirst() }
        }
        for back in [0.0, 0.05, 0.2, 0.6, 2.0] {
            let instant = time - back
            let expected = reference.filter { at($0) > at(instant) }.count
            #expect(log.sum(after: at(instant)).requests == Double(expected), "\(back) s back")
        }
    }

    /// How far below the bucket an answer's `remaining` may lie, for a measurement at any
    /// moment within a second of the request's sending (`raiseSlack`): at the refill rate the
    /// refill and the sends cancel but for one interval; with nothing sent it is the whole
    /// second's refill; with everything sent at once at the start, nothing.
    @Test func theRaiseSlackIsTheWorstMomentOfTheMeasurement() {
        var steady = AdmissionLog()
        for step in 1...100 { steady.append(due: at(Double(step) * 0.01), cost: .zero) }
        let flowing = steady.raiseSlack(after: at(0), within: 1, refillPerSecond: 100) { $0.requests }
        #expect(abs(flowing - 1) < 1e-6)
        let quiet = AdmissionLog().raiseSlack(after: at(0), within: 1, refillPerSecond: 100) { $0.requests }
        #expect(abs(quiet - 100) < 1e-9)
        var burst = AdmissionLog()
        for _ in 0..<100 { burst.append(due: at(0.001), cost: .zero) }
        let early = burst.raiseSlack(after: at(0), within: 1, refillPerSecond: 100) { $0.requests }
        #expect(abs(early - 0.1) < 1e-6)
        // Sent after the span, or voided: not in the figure either way.
        var late = AdmissionLog()
        late.append(due: at(2), cost: .zero)
        #expect(abs(late.raiseSlack(after: at(0), within: 1, refillPerSecond: 100) { $0.requests } - 100) < 1e-9)
    }
}
