import BallastCore
import Rules
import Testing

/// What the engine does with another instance's decisions (shared mode): a circuit taken
/// from elsewhere runs its own course here, an operator's hold still wins, and a region the
/// other instances shift further away is shifted as far here.
@Suite struct SharedDecisionTests {
    let policy = CircuitPolicy(
        openFor: .seconds(10), maxOpen: .seconds(60), resetAfter: .seconds(100),
        probe: ProbePolicy(requests: 5, maxErrorRatio: 0.2, timeout: .seconds(30)))
    let target = CircuitTarget(region: "primary")

    @Test func anAdoptedOpeningGoesHalfOpenAtTheSameMomentAndProbesHere() {
        var breaker = CircuitBreaker(target: target, policy: policy)
        let opened = breaker.adoptOpen(until: 25, trips: 2, settle: .seconds(30), owner: nil, at: 5)
        #expect(opened == CircuitTransition(from: .closed, to: .open, detail: "open for 20s (trip 2)"))
        #expect(breaker.retryAfter(at: 10) == .seconds(15))
        // An opening that ends sooner than the one in force changes nothing.
        #expect(breaker.adoptOpen(until: 20, trips: 1, settle: .seconds(30), owner: nil, at: 6) == nil)
        #expect(breaker.advance(at: 24.9) { _ in .empty } == nil)
        #expect(breaker.advance(at: 25) { _ in .empty }?.to == .halfOpen)
        #expect(breaker.probePermits == 5)
        // Its own failed probes open it again for the third trip's time.
        let reopened = breaker.advance(at: 26) { _ in sample(requests: 3, failures: 3, outcome: .local) }
        #expect(reopened?.to == .open)
        #expect(breaker.retryAfter(at: 26) == .seconds(40))
    }

    @Test func anAdoptedClosingSettlesLikeAnOwnClose() {
        var breaker = CircuitBreaker(target: target, policy: policy)
        _ = breaker.trip(at: 0, settle: .seconds(30), owner: nil)
        #expect(breaker.adoptClosed(at: 3) == CircuitTransition(from: .open, to: .closed, detail: "closed"))
        #expect(breaker.state == .closed)
        #expect(!breaker.isArmed(at: 32.9))
        #expect(breaker.isArmed(at: 33))
        #expect(breaker.adoptClosed(at: 40) == nil)
    }

    let rules = ruleSet("groups: []")

    @Test func anOperatorsHoldOutranksAnotherInstancesOpening() {
        var state = RuleEngineState()
        state.heldClosed = [target]
        #expect(
            state.adoptOpenCircuit(target, until: 30, trips: 1, policy: policy, mode: .reroute, settle: .seconds(10), owner: nil, ruleSet: rules, at: 0) == nil)
        #expect(state.circuitState(target) == .closed)
        state.heldClosed = []
        #expect(
            state.adoptOpenCircuit(target, until: 30, trips: 1, policy: policy, mode: .reroute, settle: .seconds(10), owner: nil, ruleSet: rules, at: 0) != nil)
        #expect(state.circuitState(target) == .open)
        #expect(state.adoptClosedCircuit(target, at: 1)?.to == .closed)
        #expect(state.adoptClosedCircuit(CircuitTarget(region: "secondary"), at: 1) == nil)
    }

    @Test func anOpeningThatWouldLeaveNoRegionHereIsRefused() {
        var state = RuleEngineState()
        let secondary = CircuitTarget(region: "secondary")
        #expect(
            state.adoptOpenCircuit(
                secondary, until: 30, trips: 1, policy: policy, mode: .reroute, settle: .seconds(10), owner: nil,
                ruleSet: rules, at: 0) != nil)
        // This instance's own view: secondary is open, so primary must stay.
        #expect(
            state.adoptOpenCircuit(
                target, until: 30, trips: 1, policy: policy, mode: .reroute, settle: .seconds(10), owner: nil,
                ruleSet: rules, at: 0) == nil)
        #expect(state.circuitState(target) == .closed)
    }

    @Test func anAdoptedRegionCircuitShiftsTheRegionsWeightAtTheNextEvaluation() {
        let source = InMemoryWindowSource(regions: ["primary", "secondary"])
        var state = RuleEngine.evaluate(rules, state: RuleEngineState(), source: source, now: RuleTime(seconds: 0)).state
        #expect(state.weights["primary"] ?? 0 > 0)
        _ = state.adoptOpenCircuit(target, until: 30, trips: 1, policy: policy, mode: .reroute, settle: .seconds(10), owner: nil, ruleSet: rules, at: 1)
        state = RuleEngine.evaluate(rules, state: state, source: source, now: RuleTime(seconds: 1.5)).state
        #expect(state.weights["primary"] == 0)
        #expect(state.shiftOwners("primary") == [.circuit(target)])
    }

    @Test func peersShiftARegionAtLeastAsFarAsTheyDo() {
        let regions = [RuleRegion(name: "a", weight: 60), RuleRegion(name: "b", weight: 40)]
        let rules = ruleSet("groups: []", context: RuleContext(regions: regions))
        let state = RuleEngine.evaluate(
            rules, state: RuleEngineState(), source: InMemoryWindowSource(regions: ["a", "b"]),
            now: RuleTime(seconds: 0)
        ).state
        let overrides = OperatorOverrides()
        #expect(overrides.weights(rules: state, regions: regions, totalRate: nil, peers: [:]) == state.weights)
        #expect(overrides.weights(rules: state, regions: regions, totalRate: nil, peers: ["a": 1]) == ["a": 0, "b": 100])
        #expect(overrides.weights(rules: state, regions: regions, totalRate: nil, peers: ["a": 0.5])["a"] == 30)
        #expect(overrides.ruleRemoved(rules: state).isEmpty)
    }
}
