import BallastCore
import BallastTesting
import Rules
import Testing

/// The circuit state machine on its own, at explicit times.
@Suite struct CircuitBreakerTests {
    static let policy = CircuitPolicy(
        openFor: .seconds(10), maxOpen: .seconds(60), resetAfter: .seconds(100),
        probe: ProbePolicy(requests: 5, maxErrorRatio: 0.2, timeout: .seconds(30)))
    let target = CircuitTarget(region: "primary")

    /// `requests` requests of which `failures` failed, as the probe window would hold them.
    func probes(_ requests: Int, failing failures: Int) -> WindowResult {
        sample(requests: requests, failures: failures, outcome: .local)
    }

    @Test func openTimeDoublesPerTripUpToTheCap() {
        #expect((1...6).map { Self.policy.openDuration(trip: $0) } == [10, 20, 40, 60, 60, 60].map { .seconds($0) })
        #expect(CircuitPolicy(openFor: .seconds(5), maxOpen: .seconds(1e9)).openDuration(trip: 200) == .seconds(1e9))
    }

    @Test func closedOpenHalfOpenClosed() {
        var breaker = CircuitBreaker(target: target, policy: Self.policy)
        #expect(breaker.isArmed(at: 0))
        let trip = breaker.trip(at: 0, settle: .seconds(30), owner: nil)
        #expect(trip == CircuitTransition(from: .closed, to: .open, detail: "open for 10s (trip 1)"))
        let again = breaker.trip(at: 1, settle: .seconds(30), owner: nil)
        #expect(again == nil)
        #expect(breaker.retryAfter(at: 4) == .seconds(6))
        let early = breaker.advance(at: 9.9) { _ in .empty }
        #expect(early == nil)
        let halfOpen = breaker.advance(at: 10) { _ in .empty }
        #expect(halfOpen?.to == .halfOpen)
        #expect(breaker.probePermits == 5)
        var permits: [Bool] = []
        for _ in 0..<6 { permits.append(breaker.acquireProbe()) }
        #expect(permits == [true, true, true, true, true, false])
        // 1 failure of 3 is within the 20% of 5 allowed; wait for the rest.
        let waiting = breaker.advance(at: 11) { _ in probes(3, failing: 1) }
        #expect(waiting == nil)
        let closed = breaker.advance(at: 12) { since in
            #expect(since == 10)
            return probes(5, failing: 1)
        }
        #expect(closed == CircuitTransition(from: .halfOpen, to: .closed, detail: "probes: 1 of 5 failed"))
        // Settling: rules may trip it again only once their windows (30s) have passed.
        #expect(!breaker.isArmed(at: 41.9))
        #expect(breaker.isArmed(at: 42))
    }

    @Test func failedProbesReopenForLonger() {
        var breaker = CircuitBreaker(target: target, policy: Self.policy)
        _ = breaker.trip(at: 0, settle: .seconds(0), owner: nil)
        _ = breaker.advance(at: 10) { _ in .empty }
        let reopened = breaker.advance(at: 11) { _ in probes(2, failing: 2) }
        #expect(reopened == CircuitTransition(from: .halfOpen, to: .open, detail: "probes: 2 of 2 failed; open for 20s (trip 2)"))
        #expect(breaker.phase == .open(until: 31))
        _ = breaker.advance(at: 31) { _ in .empty }
        _ = breaker.advance(at: 32) { _ in probes(2, failing: 2) }
        #expect(breaker.phase == .open(until: 72))
        #expect(breaker.trips == 3)
    }

    @Test func failedProbesWhileTheOthersAreShortReopenNoLongerAndBrieflyWhereTheyAddAllowance() {
        var breaker = CircuitBreaker(target: target, policy: Self.policy)
        _ = breaker.trip(at: 0, settle: .seconds(0), owner: nil)
        _ = breaker.advance(at: 10) { _ in .empty }
        // The others are short of an allowance of their own: half a second, no trip counted.
        let reopened = breaker.advance(at: 10.3, othersShort: true, reopenBriefly: true) { _ in probes(2, failing: 2) }
        #expect(reopened?.to == .open)
        #expect(breaker.phase == .open(until: 10.8))
        #expect(breaker.trips == 1)
        // Short of the allowance the target shares: as long as the last time (10 s), not 20 s.
        #expect(breaker.advance(at: 10.8) { _ in .empty }?.to == .halfOpen)
        _ = breaker.advance(at: 11, othersShort: true) { _ in probes(2, failing: 2) }
        #expect(breaker.phase == .open(until: 21))
        #expect(breaker.trips == 1)
        // With room to spare the open time doubles again.
        _ = breaker.advance(at: 21) { _ in .empty }
        _ = breaker.advance(at: 21.5) { _ in probes(2, failing: 2) }
        #expect(breaker.phase == .open(until: 41.5))
        #expect(breaker.trips == 2)
    }

    @Test func aSettlingCircuitReopensByItselfWhenTrafficFailsAgain() {
        var breaker = CircuitBreaker(target: target, policy: Self.policy)
        _ = breaker.trip(at: 0, settle: .seconds(60), owner: nil)
        _ = breaker.advance(at: 10) { _ in .empty }
        _ = breaker.advance(at: 12) { _ in probes(5, failing: 0) }
        #expect(breaker.state == .closed)
        // Too few requests to judge yet, then 3 of 6 failed since closing: open, trip 2.
        let tooFew = breaker.advance(at: 13) { _ in probes(4, failing: 4) }
        #expect(tooFew == nil)
        let again = breaker.advance(at: 14) { since in
            #expect(since == 12)
            return probes(6, failing: 3)
        }
        #expect(again?.detail == "failing again after closing: 3 of 6 failed; open for 20s (trip 2)")
        // The panic threshold can forbid it.
        var other = CircuitBreaker(target: target, policy: Self.policy)
        _ = other.trip(at: 0, settle: .seconds(60), owner: nil)
        _ = other.advance(at: 10) { _ in .empty }
        _ = other.advance(at: 12) { _ in probes(5, failing: 0) }
        let forbidden = other.advance(at: 14, mayReopen: false) { _ in probes(6, failing: 6) }
        #expect(forbidden == nil)
        #expect(other.state == .closed)
    }

    @Test func tripsAreForgottenAfterStayingClosed() {
        var breaker = CircuitBreaker(target: target, policy: Self.policy)
        _ = breaker.trip(at: 0, settle: .seconds(0), owner: nil)
        _ = breaker.advance(at: 10) { _ in .empty }
        _ = breaker.advance(at: 11) { _ in probes(2, failing: 2) }
        _ = breaker.advance(at: 31) { _ in .empty }
        _ = breaker.advance(at: 32) { _ in probes(5, failing: 0) }
        #expect(breaker.trips == 2)
        _ = breaker.advance(at: 131) { _ in .empty }
        #expect(breaker.trips == 2)
        _ = breaker.advance(at: 132) { _ in .empty }
        #expect(breaker.trips == 0)
        let fresh = breaker.trip(at: 140, settle: .seconds(0), owner: nil)
        #expect(fresh?.detail == "open for 10s (trip 1)")
    }

    @Test func probePermitsAreHandedOutAgainAfterTheProbeTimeout() {
        var breaker = CircuitBreaker(target: target, policy: Self.policy)
        _ = breaker.trip(at: 0, settle: .seconds(0), owner: nil)
        _ = breaker.advance(at: 10) { _ in .empty }
        for _ in 0..<5 { _ = breaker.acquireProbe() }
        _ = breaker.advance(at: 39) { _ in probes(1, failing: 0) }
        #expect(breaker.probePermits == 0)
        _ = breaker.advance(at: 40) { _ in probes(1, failing: 0) }
        #expect(breaker.probePermits == 4)
        #expect(breaker.state == .halfOpen)
    }
}

/// The degradation ladder: raised at once, lowered one level per `after` once released.
@Suite struct DegradationLadderTests {
    let a = RuleInstance(key: RuleKey(group: "g", rule: "a"))
    let b = RuleInstance(key: RuleKey(group: "g", rule: "b"))

    @Test func stepsDownOneLevelPerAfter() {
        var ladder = DegradationLadder()
        ladder.demand(a, level: 3, after: .seconds(60))
        let first = ladder.advance(at: 0, maxLevel: 4)
        #expect(first?.from == 0)
        #expect(ladder.level == 3)
        #expect(ladder.holder == a)
        ladder.release(a, at: 10)
        var levels: [Double: Int] = [:]
        for time in [69.0, 70, 129, 130, 189, 190] {
            _ = ladder.advance(at: MonotonicInstant(seconds: time), maxLevel: 4)
            levels[time] = ladder.level
        }
        #expect(levels == [69: 3, 70: 2, 129: 2, 130: 1, 189: 1, 190: 0])
        #expect(ladder.demands.isEmpty)
        #expect(ladder.holder == nil)
    }

    @Test func theHighestDemandHoldsAndFiringAgainResetsTheStepDown() {
        var ladder = DegradationLadder()
        ladder.demand(a, level: 1, after: .seconds(60))
        ladder.demand(b, level: 3, after: .seconds(10))
        _ = ladder.advance(at: 0, maxLevel: 4)
        #expect(ladder.level == 3)
        ladder.release(b, at: 0)
        _ = ladder.advance(at: 10, maxLevel: 4)
        #expect(ladder.level == 2)
        ladder.demand(b, level: 3, after: .seconds(10))
        _ = ladder.advance(at: 11, maxLevel: 4)
        #expect(ladder.level == 3)
        ladder.release(b, at: 11)
        _ = ladder.advance(at: 41, maxLevel: 4)
        #expect(ladder.level == 1)
        #expect(ladder.holder == a)
        // Nothing changes, nothing is reported.
        let unchanged = ladder.advance(at: 42, maxLevel: 4)
        #expect(unchanged == nil)
    }

    @Test func theLevelIsCappedByTheLadder() {
        var ladder = DegradationLadder()
        ladder.demand(a, level: 9, after: .seconds(60))
        _ = ladder.advance(at: 0, maxLevel: 4)
        #expect(ladder.level == 4)
    }

    @Test func policiesAreCumulative() {
        let config = DegradationConfig()
        #expect(config.policy(level: 0) == DegradationPolicy(level: 0))
        #expect(config.policy(level: 2) == DegradationPolicy(level: 2, maxTokens: 1024, fallback: true))
        let four = config.policy(level: 4)
        #expect(four.maxTokens == 1024 && four.fallback && four.shed == ShedPolicy() && four.answer == AnswerPolicy())
        #expect(config.policy(level: 7).level == 4)
        #expect(
            DegradationPolicy.headerValue(level: 2, applied: ["max_tokens=1024", "model=claude-haiku-4-5"])
                == "level=2; max_tokens=1024; model=claude-haiku-4-5")
    }

    @Test func fallbackMapFollowsGlobsAndSkipsOpenModels() {
        let map = ModelFallbackMap([
            ModelFallback(pattern: "claude-opus-*", model: "claude-sonnet-4-5"),
            ModelFallback(pattern: "claude-sonnet-?-?", model: "claude-haiku-4-5"),
        ])
        #expect(map.fallback(for: "claude-opus-4-1") == "claude-sonnet-4-5")
        #expect(map.fallback(for: "claude-sonnet-4-6") == "claude-haiku-4-5")
        #expect(map.fallback(for: "claude-sonnet-4-66") == nil)
        #expect(map.fallback(for: "claude-haiku-4-5") == nil)
        #expect(map.fallback(for: "claude-opus-4-1") { $0 != "claude-sonnet-4-5" } == "claude-haiku-4-5")
        #expect(map.fallback(for: "claude-opus-4-1") { _ in false } == nil)
    }
}
