import BallastCore
import Foundation
@testable import Gateway
import Testing
@testable import RulesRuntime
import Rules

/// What a Ballast does with decisions made on other instances (shared mode), without Redis:
/// the shared runtime hands them to the rule controller, which is what is tested here.
@Suite(.serialized) struct SharedDecisionAdoptionTests {
    static let rules = """
        degradation:
          levels:
            - { description: shorter answers, max_tokens: 1024 }
            - { description: shorter still, max_tokens: 256 }
        groups:
          - name: failover
            interval: 1s
            rules:
              - name: region-down
                when: consecutive_failures{class="local"}[10s] by (region) >= 3
                action: { circuit: open, target: { region: "$region" } }
                recover: { after: 20s, probe: { requests: 3 } }
        """

    func decision(_ phase: SharedCircuitDecision.Phase, until: Double?) -> SharedCircuitDecision {
        SharedCircuitDecision(
            target: "region=primary", phase: phase, until: until, trips: 1, mode: "reroute", group: "failover",
            rule: "region-down", instance: "peer-1", reason: "rule:region-down: 3 connection failures")
    }

    @Test func aCircuitOpenedElsewhereOpensHereWithItsRulesPolicyAndIsAudited() async throws {
        let clock = JumpClock()
        let control = try ControlHarness(rules: Self.rules, clock: clock)
        defer { control.stop() }
        let rules = control.gateway.rules
        // Far enough ahead that no real time passing under a loaded test run reaches it; the
        // clock jumps there below.
        let until = clock.wallTime() + 600
        #expect(rules.adopt(decision(.open, until: until)))
        // Taken once: the same decision again changes nothing.
        #expect(!rules.adopt(decision(.open, until: until)))
        #expect(rules.isOpen(region: "primary", model: nil))
        #expect(control.gateway.routeWeights["primary"] == 0)
        #expect(await control.send(6) == ["secondary": 6])
        #expect(try control.auditRows("kind = 'circuit_changed' AND actor = 'instance:peer-1' AND target = 'region=primary'") == 1)

        // It goes half-open by this instance's clock and hands out the rule's 3 probe permits.
        clock.jump(seconds: 600.5)
        control.gateway.evaluateRules()
        #expect(rules.view().engine.circuits.first { $0.key.region == "primary" }?.value.probePermits == 3)

        // The other instance's probes passed first: closed here too.
        #expect(rules.adopt(decision(.closed, until: nil)))
        #expect(!rules.isOpen(region: "primary", model: nil))
    }

    @Test func anOpeningThatHasRunOutOrAnOperatorsHoldIsNotTaken() async throws {
        let control = try ControlHarness(rules: Self.rules)
        defer { control.stop() }
        let rules = control.gateway.rules
        #expect(!rules.adopt(decision(.open, until: control.clock.wallTime() - 1)))
        let held = await control.call("POST", "/control/v1/circuits/region=primary/close", body: #"{"reason":"known good"}"#)
        #expect(held.status == 200)
        #expect(!rules.adopt(decision(.open, until: control.clock.wallTime() + 20)))
        #expect(!rules.isOpen(region: "primary", model: nil))
    }

    @Test func theOtherInstancesLevelAndShiftsApplyUnderTheOperatorsPin() async throws {
        let control = try ControlHarness(rules: Self.rules)
        defer { control.stop() }
        let rules = control.gateway.rules
        rules.setPeerDecisions(InstanceDecisions(degradation: 5, removed: ["primary": 1]))
        // Capped at this instance's ladder.
        #expect(rules.degradationLevel == 2)
        #expect(control.gateway.routeWeights["primary"] == 0)
        let degradation = await control.call("GET", "/control/v1/degradation")
        #expect(degradation.json["source"] as? String == "instances")
        #expect(degradation.json["peers_level"] as? Int == 5)
        #expect(degradation.json["instance_level"] as? Int == 0)

        let pinned = await control.call("PUT", "/control/v1/degradation", body: #"{"level":0,"reason":"we know"}"#)
        #expect(pinned.status == 200)
        #expect(rules.degradationLevel == 0)
        let pinnedWeight = await control.call("PUT", "/control/v1/regions/primary/weight", body: #"{"weight":1,"reason":"keep a trickle"}"#)
        #expect(pinnedWeight.status == 200)
        #expect(control.gateway.routeWeights["primary"] == 1)

        rules.setPeerDecisions(InstanceDecisions())
        let after = await control.call("GET", "/control/v1/degradation")
        #expect(after.json["source"] as? String == "operator")
        #expect(after.json["peers_level"] as? Int == 0)
    }
}
