public import Rules

/// Many random `CapacityScenario`s, each run through Ballast, through no gateway and through
/// the oracle: what the tests and the bench judge Ballast by.
public struct CapacitySweep: Sendable {
    /// Ballast's served requests over the oracle's, per seed, sorted.
    public private(set) var ratios: [Double] = []
    /// Seeds where Ballast served less than no gateway by more than `slack`, with the shortfall.
    public private(set) var below: [(scenario: CapacityScenario, ballast: Int, direct: Int, oracle: Int)] = []
    /// The largest shortfall against no gateway, as a share of its served requests.
    public private(set) var worstShortfall = 0.0

    /// "Below no gateway" allows 0.5 % (at least 2 requests): where the limit is the only
    /// constraint, a plain client that sends everything already gets every token the bucket
    /// refills (the oracle's figure, give or take one), and no gateway can do better than equal it.
    public static func slack(_ direct: Int) -> Double { max(2, 0.005 * Double(direct)) }

    public static func run(seeds: ClosedRange<UInt64>, duration: Double, rules: RuleSet) -> CapacitySweep {
        var sweep = CapacitySweep()
        for seed in seeds {
            let scenario = CapacityScenario.random(seed: seed, duration: duration)
            let ballast = CapacitySimulation.run(scenario, gateway: .ballast, rules: rules).served
            let direct = CapacitySimulation.run(scenario, gateway: .unprotected, rules: rules).served
            let oracle = CapacityOracle.run(scenario).served
            sweep.ratios.append(Double(ballast) / Double(max(1, oracle)))
            sweep.worstShortfall = max(sweep.worstShortfall, Double(direct - ballast) / Double(max(1, direct)))
            if Double(ballast) < Double(direct) - slack(direct) { sweep.below.append((scenario, ballast, direct, oracle)) }
        }
        sweep.ratios.sort()
        return sweep
    }

    public var median: Double { ratios.isEmpty ? 0 : ratios[ratios.count / 2] }
    public var tenthPercentile: Double { ratios.isEmpty ? 0 : ratios[ratios.count / 10] }
    public var worst: Double { ratios.first ?? 0 }
}

extension CapacityScenario {
    /// The first scenario: 250 req/s against an organisation limit of 150 req/s that
    /// both regions share, with a bucket of one second's worth.
    public static let sharedLimit = CapacityScenario(
        seed: 7, duration: 60, arrivalRate: 250, clientTimeout: 15,
        groups: [.init(perMinute: 9_000, bucket: 150)],
        regions: [
            .init(name: "primary", group: 0, weight: 100, serviceTime: 0.15),
            .init(name: "secondary", group: 0, weight: 100, serviceTime: 0.15),
        ])

    /// The second scenario: two regions of 80 req/s each (limits of their own), 100
    /// req/s, the primary answering 503 to everything for 10 s.
    public static let regionDown = CapacityScenario(
        seed: 11, duration: 60, arrivalRate: 100, clientTimeout: 60,
        groups: [.init(perMinute: 4_800, bucket: 80), .init(perMinute: 4_800, bucket: 80)],
        regions: [
            .init(
                name: "primary", group: 0, weight: 100, serviceTime: 0.3,
                outages: [.init(start: 20, end: 30, kind: .status503)]),
            .init(name: "secondary", group: 1, weight: 100, serviceTime: 0.3),
        ])
}
