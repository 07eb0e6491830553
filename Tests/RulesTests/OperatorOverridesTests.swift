import BallastCore
import Foundation
import Rules
import Testing

/// Operator overrides layered on the rules' decisions: drains, pinned weights, held circuits,
/// the degradation pin, expiry; and the engine leaving a circuit held closed alone.
@Suite struct OperatorOverridesTests {
    let regions = [RuleRegion(name: "a", weight: 60), RuleRegion(name: "b", weight: 40), RuleRegion(name: "standby", weight: 0)]

    func override(_ action: OperatorOverride.Action, _ target: String, value: Int? = nil, expiresAt: Double? = nil) -> OperatorOverride {
        OperatorOverride(action: action, target: target, value: value, reason: "test", actor: "operator:t", setAt: 0, expiresAt: expiresAt)
    }

    func engine(weightsFor regions: [RuleRegion]) -> RuleEngineState {
        let rules = ruleSet("groups: []", context: RuleContext(regions: regions))
        return RuleEngine.evaluate(
            rules, state: RuleEngineState(), source: InMemoryWindowSource(regions: regions.map(\.name)),
            now: RuleTime(seconds: 0)
        ).state
    }

    @Test func withoutOverridesTheRulesWeightsStand() {
        let state = engine(weightsFor: regions)
        #expect(OperatorOverrides().weights(rules: state, regions: regions, totalRate: nil) == state.weights)
    }

    @Test func aDrainedRegionGivesAllItsWeightAway() {
        var overrides = OperatorOverrides()
        overrides.setRegion("a", override(.drain, "region=a"))
        let weights = overrides.weights(rules: engine(weightsFor: regions), regions: regions, totalRate: nil)
        #expect(weights == ["a": 0, "b": 100, "standby": 0])
        #expect(overrides.drainedRegions == ["a"])
        overrides.setRegion("b", override(.drain, "region=b"))
        #expect(overrides.weights(rules: engine(weightsFor: regions), regions: regions, totalRate: nil) == ["a": 0, "b": 0, "standby": 100])
    }

    @Test func aPinnedWeightReplacesTheRulesWeight() {
        var overrides = OperatorOverrides()
        overrides.setRegion("standby", override(.weight, "region=standby", value: 25))
        #expect(overrides.weights(rules: engine(weightsFor: regions), regions: regions, totalRate: nil) == ["a": 60, "b": 40, "standby": 25])
        #expect(overrides.drainedRegions.isEmpty)
        // One override per region: a drain replaces the pin.
        overrides.setRegion("standby", override(.drain, "region=standby"))
        #expect(overrides.regions["standby"]?.action == .drain)
    }

    @Test func aRegionCircuitHeldOpenDrainsTheRegion() {
        var overrides = OperatorOverrides()
        overrides.setCircuit(CircuitTarget(region: "b"), override(.circuitOpen, "region=b"))
        overrides.setCircuit(CircuitTarget(model: "m"), override(.circuitOpen, "model=m"))
        #expect(overrides.drainedRegions == ["b"], "a model circuit drains no region")
        #expect(overrides.heldOpen(region: "a", model: "m")?.target == CircuitTarget(model: "m"))
        #expect(overrides.heldOpen(region: "a", model: "other") == nil)
        #expect(overrides.heldOpen(region: "b", model: nil)?.target == CircuitTarget(region: "b"))
    }

    @Test func theDegradationPinWinsAndZeroMeansNone() {
        var overrides = OperatorOverrides()
        #expect(overrides.degradationLevel(rules: 3) == 3)
        overrides.setDegradation(override(.degrade, "degradation", value: 0))
        #expect(overrides.degradationLevel(rules: 3) == 0)
        overrides.setDegradation(nil)
        #expect(overrides.degradationLevel(rules: 3) == 3)
    }

    @Test func expiredOverridesAreRemovedAndReturned() throws {
        var overrides = OperatorOverrides()
        overrides.setRegion("a", override(.drain, "region=a", expiresAt: 100))
        overrides.setCircuit(CircuitTarget(model: "m"), override(.circuitClose, "model=m", expiresAt: 200))
        overrides.setDegradation(override(.degrade, "degradation", value: 2))
        #expect(overrides.removeExpired(at: 99.9).isEmpty)
        #expect(overrides.removeExpired(at: 100).map(\.target) == ["region=a"])
        #expect(overrides.removeExpired(at: 1000).map(\.target) == ["model=m"])
        #expect(overrides.all.map(\.target) == ["degradation"], "no expiry: until cleared")
    }

    @Test func aCircuitHeldClosedIsNotTrippedByTheRules() {
        let rules = ruleSet(RuleEngineTests.failing)
        let source = RuleEngineTests.source(failingFrom: 0)
        var free = RuleEngineState()
        _ = run(rules, source: source, state: &free, from: 0, to: 20)
        #expect(free.circuitState(CircuitTarget(region: "primary")) == .open, "the rule trips an unheld circuit")

        var held = RuleEngineState()
        held.heldClosed = [CircuitTarget(region: "primary")]
        let changes = run(rules, source: source, state: &held, from: 0, to: 20).map(\.change.summary)
        #expect(held.circuitState(CircuitTarget(region: "primary")) == .closed)
        #expect(!changes.contains { $0.hasPrefix("circuit_changed") }, "\(changes)")
    }

    @Test func resettingACircuitGivesItsWeightBackAtOnce() {
        let rules = ruleSet(RuleEngineTests.failing)
        var state = RuleEngineState()
        _ = run(rules, source: RuleEngineTests.source(failingFrom: 0), state: &state, from: 0, to: 20)
        #expect(state.weights["primary"] == 0)
        let restored = state.resetCircuit(CircuitTarget(region: "primary"), at: 20)
        #expect(restored == ["primary"])
        #expect(state.circuitState(CircuitTarget(region: "primary")) == .closed)
        #expect(state.weights == ["primary": 100, "secondary": 0])
    }

    @Test func overridesRoundTripThroughJSON() throws {
        var overrides = OperatorOverrides()
        overrides.setRegion("a", override(.weight, "region=a", value: 7, expiresAt: 50))
        overrides.setCircuit(CircuitTarget(region: "b", model: "m"), override(.circuitOpen, "region=b,model=m"))
        let data = try JSONEncoder().encode(overrides)
        #expect(try JSONDecoder().decode(OperatorOverrides.self, from: data) == overrides)
    }
}
