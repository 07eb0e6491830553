import BallastCore
import Rules
import Testing

/// Weights from shifts: they always add up, go to the right regions, respect capacity.
@Suite struct WeightDistributionTests {
    let primaryStandby = [RuleRegion(name: "primary", weight: 100), RuleRegion(name: "secondary", weight: 0)]

    @Test func shiftedWeightGoesToStandbysWhenNoWeightedRegionIsLeft() {
        #expect(WeightDistribution.compute(regions: primaryStandby, removed: [:], totalRate: nil) == ["primary": 100, "secondary": 0])
        #expect(WeightDistribution.compute(regions: primaryStandby, removed: ["primary": 0.25], totalRate: nil) == ["primary": 75, "secondary": 25])
        #expect(WeightDistribution.compute(regions: primaryStandby, removed: ["primary": 1], totalRate: nil) == ["primary": 0, "secondary": 100])
    }

    @Test func shiftedWeightGoesToWeightedRegionsInProportion() {
        let regions = [
            RuleRegion(name: "a", weight: 50), RuleRegion(name: "b", weight: 30), RuleRegion(name: "c", weight: 20),
            RuleRegion(name: "standby", weight: 0),
        ]
        #expect(WeightDistribution.compute(regions: regions, removed: ["a": 1], totalRate: nil) == ["a": 0, "b": 60, "c": 40, "standby": 0])
        #expect(
            WeightDistribution.compute(regions: regions, removed: ["a": 1, "b": 1, "c": 1], totalRate: nil)
                == ["a": 0, "b": 0, "c": 0, "standby": 100])
    }

    @Test func capacityCapsWhatAReceiverTakesAndTheRestStays() {
        let capped = [RuleRegion(name: "primary", weight: 100), RuleRegion(name: "secondary", weight: 0, capacity: 50)]
        // 100 requests/s in total; the standby can take 50/s: half the weight.
        #expect(WeightDistribution.compute(regions: capped, removed: ["primary": 1], totalRate: 100) == ["primary": 50, "secondary": 50])
        #expect(WeightDistribution.compute(regions: capped, removed: ["primary": 1], totalRate: 40) == ["primary": 0, "secondary": 100])
        // Two standbys share in proportion to their capacities, each capped.
        let two = [RuleRegion(name: "p", weight: 10), RuleRegion(name: "s1", weight: 0, capacity: 30), RuleRegion(name: "s2", weight: 0, capacity: 10)]
        #expect(WeightDistribution.compute(regions: two, removed: ["p": 1], totalRate: 20) == ["p": 0, "s1": 8, "s2": 2])
        #expect(WeightDistribution.compute(regions: two, removed: ["p": 1], totalRate: 100) == ["p": 6, "s1": 3, "s2": 1])
    }

    @Test func weightsAlwaysAddUp() {
        var random = SeededRandom(seed: 42)
        for _ in 0..<500 {
            let count = 1 + Int(random.unit() * 5)
            let regions = (0..<count).map { index in
                RuleRegion(
                    name: "r\(index)", weight: random.unit() < 0.3 ? 0 : Int(random.unit() * 200),
                    capacity: random.unit() < 0.5 ? random.unit() * 100 : nil)
            }
            let total = regions.reduce(0) { $0 + $1.weight }
            var removed: [String: Double] = [:]
            for region in regions where random.unit() < 0.5 { removed[region.name] = random.unit() < 0.5 ? 1 : random.unit() }
            let weights = WeightDistribution.compute(regions: regions, removed: removed, totalRate: random.unit() * 200)
            #expect(weights.values.reduce(0, +) == total, "\(regions) \(removed) -> \(weights)")
            #expect(weights.values.allSatisfy { $0 >= 0 })
        }
    }
}

/// The switcher's hold-down, failback steps and growing hold-down.
@Suite struct RegionalSwitcherTests {
    let owner = ShiftOwner.rule(RuleInstance(key: RuleKey(group: "g", rule: "r")))
    let policy = FailbackPolicy(holdDown: .seconds(30), step: 0.5, interval: .seconds(10), maxHoldDown: .seconds(100))

    @Test func holdDownThenStepsBack() {
        var switcher = RegionalSwitcher()
        let grew = [0.0, 1, 2].map { time in switcher.shift("a", by: 0.6, owner: owner, policy: policy, at: time) }
        #expect(grew == [true, true, false])
        #expect(switcher.removed("a") == 1)
        switcher.release("a", owner: owner, at: 10)
        #expect(switcher.phase("a", at: 39) == .holdingDown)
        let steps = [39.0, 40, 45, 50].map { time in switcher.advance(at: time) }
        #expect(steps == [[], ["a"], [], ["a"]])
        #expect(switcher.removed("a") == 0)
        #expect(switcher.phase("a", at: 50) == .restored)
        // Forgotten once restored for max_hold_down.
        _ = switcher.advance(at: 150)
        #expect(switcher.phase("a", at: 150) == nil)
    }

    @Test func aShiftDuringRecoveryDoublesTheHoldDown() {
        var switcher = RegionalSwitcher()
        _ = switcher.shift("a", by: 1, owner: owner, policy: policy, at: 0)
        switcher.release("a", owner: owner, at: 0)
        _ = switcher.advance(at: 30)
        _ = switcher.shift("a", by: 1, owner: owner, policy: policy, at: 35)
        switcher.release("a", owner: owner, at: 40)
        #expect(switcher.entries["a"]?.holdDown == .seconds(60))
        #expect(switcher.phase("a", at: 99) == .holdingDown)
        #expect(switcher.phase("a", at: 100) == .failingBack)
        #expect(policy.holdDown(shift: 5) == .seconds(100))
    }

    @Test func anotherOwnerKeepsTheRegionShifted() {
        var switcher = RegionalSwitcher()
        let circuit = ShiftOwner.circuit(CircuitTarget(region: "a"))
        _ = switcher.shift("a", by: 1, owner: owner, policy: policy, at: 0)
        _ = switcher.shift("a", by: 1, owner: circuit, policy: policy, at: 0)
        switcher.release("a", owner: owner, at: 5)
        #expect(switcher.phase("a", at: 100) == .shifted)
        switcher.release("a", owner: circuit, at: 100)
        #expect(switcher.phase("a", at: 100) == .holdingDown)
    }
}
