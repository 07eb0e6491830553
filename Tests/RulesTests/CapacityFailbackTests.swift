import BallastConfig
import BallastCore
import Rules
import Testing
import Foundation

/// Failback that depends on the serving regions' capacity: a region whose circuit closed gets
/// its whole weight back at once while the regions still serving are short, and waits the
/// hold-down and the steps while they have room. Every step at an explicit time.
@Suite struct CapacityFailbackTests {
    static let rules = """
        routing: { hold_down: 30s, failback_step: 25%, failback_interval: 2.5s }
        groups:
          - name: failover
            interval: 500ms
            rules:
              - name: region-down
                when: consecutive_failures{class="local"}[10s] by (region) >= 3
                action: { circuit: open, target: { region: "$region" } }
                recover: { after: 2s, max_open: 5m, probe: { requests: 5, max_error_ratio: 0.2 } }
              - name: region-drained
                when: error_ratio{class="upstream"}[2s] by (region) > 0.5
                action: { route: drain, target: { region: "$region" } }
                recover: { after: 30s, step: 25%, interval: 2.5s }
        """

    static let primary = SeriesLabels(region: "primary", model: "claude-sonnet-4-5")
    static let secondary = SeriesLabels(region: "secondary", model: "claude-sonnet-4-5")

    /// primary refuses connections in the 10th second; 5 probes pass in the 13th (its
    /// circuit, open at 10s for 2s, is half-open from 12s and closes at 13s).
    static func outage() -> InMemoryWindowSource {
        var source = InMemoryWindowSource(regions: ["primary", "secondary"])
        for second in 0..<10 { source.add(sample(requests: 10), second: second, labels: primary) }
        source.add(sample(requests: 10, failures: 10, outcome: .local), second: 10, labels: primary)
        source.add(sample(requests: 5), second: 13, labels: primary)
        for second in 11..<60 { source.add(sample(requests: 10), second: second, labels: secondary) }
        return source
    }

    /// Steps every 500 ms from `from` to `to`, telling the engine `shortage(time)`.
    static func step(
        _ rules: RuleSet, _ source: InMemoryWindowSource, _ state: inout RuleEngineState, from: Double, to: Double,
        shortage: (Double) -> CapacityShortage
    ) -> [(time: Double, summary: String)] {
        var changes: [(time: Double, summary: String)] = []
        var time = from
        while time <= to + 1e-9 {
            let evaluation = RuleEngine.evaluate(
                rules, state: state, source: source, now: RuleTime(seconds: time),
                capacity: shortage(time))
            state = evaluation.state
            changes.append(contentsOf: evaluation.changes.map { (time, $0.summary) })
            time += 0.5
        }
        return changes
    }

    @Test func aSaturatedStandbyGetsTheRegionBackAtOnceWhenItsProbesPass() {
        let rules = ruleSet(Self.rules)
        var state = RuleEngineState()
        let short = CapacityShortage(regions: ["secondary"])
        _ = Self.step(rules, Self.outage(), &state, from: 0, to: 12.5) { _ in short }
        #expect(state.circuitState(CircuitTarget(region: "primary")) == .halfOpen)
        #expect(state.weights == ["primary": 0, "secondary": 100])
        let changes = Self.step(rules, Self.outage(), &state, from: 13, to: 13) { _ in short }
        // The good probes end the rule's run of failures and close the circuit; the weight
        // comes back in the same step.
        #expect(
            changes.map(\.summary) == [
                "rule_resolved region=primary resolved", "circuit_changed region=primary closed",
                "route_shifted region=primary weight=100", "route_shifted region=secondary weight=0",
            ])
        #expect(state.routing.phase("primary", at: 13) == .restored)
        // Nothing moves afterwards: the standby still reported short changes nothing.
        #expect(Self.step(rules, Self.outage(), &state, from: 13.5, to: 40) { _ in short }.isEmpty)
    }

    @Test func theLoopKnowsWhenAnOpenCircuitIsDueToGoHalfOpen() {
        let rules = ruleSet(Self.rules)
        var state = RuleEngineState()
        _ = Self.step(rules, Self.outage(), &state, from: 0, to: 9.5) { _ in .none }
        #expect(state.nextCircuitDeadline == nil)
        _ = Self.step(rules, Self.outage(), &state, from: 10, to: 11) { _ in .none }
        #expect(state.circuitState(CircuitTarget(region: "primary")) == .open)
        #expect(state.nextCircuitDeadline == 12)
        _ = Self.step(rules, Self.outage(), &state, from: 12, to: 12) { _ in .none }
        #expect(state.circuitState(CircuitTarget(region: "primary")) == .halfOpen)
        #expect(state.nextCircuitDeadline == nil)
    }

    @Test func withRoomToSpareTheHoldDownAndStepsApply() {
        let rules = ruleSet(Self.rules)
        var state = RuleEngineState()
        _ = Self.step(rules, Self.outage(), &state, from: 0, to: 13) { _ in .none }
        #expect(state.circuitState(CircuitTarget(region: "primary")) == .closed)
        #expect(state.weights == ["primary": 0, "secondary": 100])
        #expect(state.routing.phase("primary", at: 13) == .holdingDown)
        let changes = Self.step(rules, Self.outage(), &state, from: 13.5, to: 60) { _ in .none }
        // Hold-down of 30s from 13s, then 25% every 2.5s.
        #expect(changes.filter { $0.summary.hasPrefix("route_shifted region=primary") }.map(\.time) == [43, 45.5, 48, 50.5])
        #expect(state.weights == ["primary": 100, "secondary": 0])
    }

    @Test func aShortageDuringTheStepsGivesTheRestBackAtOnce() {
        let rules = ruleSet(Self.rules)
        var state = RuleEngineState()
        let changes = Self.step(rules, Self.outage(), &state, from: 0, to: 47) { time in
            time >= 46 ? .everywhere(["primary", "secondary"]) : .none
        }
        // 25% at 43s, 50% at 45.5s, then the rest at 46s, when the standby (still serving
        // half) is short.
        let primary = changes.filter { $0.time > 13 && $0.summary.hasPrefix("route_shifted region=primary") }
        #expect(primary.map(\.time) == [43, 45.5, 46])
        #expect(primary.last?.summary == "route_shifted region=primary weight=100")
        #expect(state.routing.phase("primary", at: 47) == .restored)
    }

    @Test func aShortRegionThatServesNothingDoesNotCount() {
        // Only the primary (weight 0 while it is held down) is reported short: the standby,
        // which serves everything, has room. The hold-down applies.
        let rules = ruleSet(Self.rules)
        var state = RuleEngineState()
        _ = Self.step(rules, Self.outage(), &state, from: 0, to: 20) { _ in CapacityShortage(regions: ["primary"]) }
        #expect(state.weights == ["primary": 0, "secondary": 100])
        #expect(state.routing.phase("primary", at: 20) == .holdingDown)
    }

    @Test func aRegionDrainedByARuleKeepsItsHoldDown() {
        // No probes, only a rule that resolved: the hold-down is its only evidence of health.
        let rules = ruleSet(Self.rules)
        var source = InMemoryWindowSource(regions: ["primary", "secondary"])
        for second in 0..<60 {
            source.add(sample(requests: 10, failures: (10..<12).contains(second) ? 10 : 0), second: second, labels: Self.primary)
        }
        var state = RuleEngineState()
        let changes = Self.step(rules, source, &state, from: 0, to: 40) { _ in CapacityShortage(regions: ["secondary"]) }
        #expect(changes.contains { $0.time == 11 && $0.summary == "route_shifted region=primary weight=0" })
        // Resolved once the failures leave the 2s window (at 13s); held down for 30s after.
        #expect(state.weights == ["primary": 0, "secondary": 100])
        #expect(state.routing.phase("primary", at: 40) == .holdingDown)
    }

    @Test func failbackWhenShortGradualKeepsTheHoldDown() {
        let rules = ruleSet(
            Self.rules.replacingOccurrences(
                of: "failback_interval: 2.5s }",
                with: "failback_interval: 2.5s, failback_when_short: gradual }"))
        #expect(rules.routing.failbackAtOnceWhenShort == false)
        var state = RuleEngineState()
        _ = Self.step(rules, Self.outage(), &state, from: 0, to: 20) { _ in CapacityShortage(regions: ["secondary"]) }
        #expect(state.weights == ["primary": 0, "secondary": 100])
        #expect(state.routing.phase("primary", at: 20) == .holdingDown)
    }

    @Test func failbackWhenShortMustBeImmediateOrGradual() {
        let issues = ruleIssues("routing: { failback_when_short: sometimes }")
        #expect(issues.map(\.message) == ["'failback_when_short' is immediate or gradual, not 'sometimes'"])
        #expect(ruleSet("routing: {}").routing.failbackAtOnceWhenShort)
    }

    @Test func aFreshSwitcherRestoresNothing() {
        var switcher = RegionalSwitcher()
        let owner = ShiftOwner.circuit(CircuitTarget(region: "a"))
        _ = switcher.shift("a", by: 1, owner: owner, policy: FailbackPolicy(), at: 0)
        switcher.release("a", owner: owner, at: 5)
        #expect(switcher.entries["a"]?.releasedByCircuit == true)
        // No weights computed yet: no region is known to serve, so nothing comes back early.
        #expect(switcher.failBackAtOnce(shortage: .everywhere(["a", "b"]), at: 6).isEmpty)
        #expect(switcher.phase("a", at: 6) == .holdingDown)
    }
}

/// The `capacity_short` input of rule tests.
@Suite struct RuleTestCapacityTests {
    @Test func readsTheLastWholeSecond() {
        let capacity = RuleTestCapacity(regions: ["secondary": [0, 0, 1, nil, 1]])
        #expect(capacity.shortage(at: 1.5, regions: ["primary", "secondary"]).isEmpty)
        #expect(capacity.shortage(at: 2, regions: ["primary", "secondary"]) == CapacityShortage(regions: ["secondary"]))
        #expect(capacity.shortage(at: 2.5, regions: ["primary", "secondary"]) == CapacityShortage(regions: ["secondary"]))
        #expect(capacity.shortage(at: 3, regions: ["primary", "secondary"]).isEmpty)
        #expect(capacity.shortage(at: 9, regions: ["primary", "secondary"]).isEmpty)
        let everywhere = RuleTestCapacity(everywhere: [1])
        #expect(everywhere.shortage(at: 0.5, regions: ["primary", "secondary"]) == .everywhere(["primary", "secondary"]))
    }

    @Test func parsesOneSeriesOrOnePerRegion() throws {
        let text = """
            rule_files: []
            tests:
              - name: global
                capacity_short: "0x2 1x3"
                input_series: [{ labels: { region: primary }, requests: "1" }]
                expect: [{ at: 1s }]
              - name: per region
                capacity_short: { secondary: "1 0" }
                input_series: [{ labels: { region: primary }, requests: "1" }]
                expect: [{ at: 1s }]
            """
        let file = try RuleTestFile.parse(text, path: "t.yaml").get()
        #expect(file.tests[0].capacity.everywhere == [0, 0, 1, 1, 1])
        #expect(file.tests[1].capacity.regions == ["secondary": [1, 0]])
        let bad = RuleTestFile.parse(text.replacingOccurrences(of: "\"0x2 1x3\"", with: "\"0x2 zz\""), path: "t.yaml")
        #expect(throws: ConfigError.self) { try bad.get() }
    }
}
