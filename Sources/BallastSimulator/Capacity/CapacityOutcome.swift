/// What one way of calling the upstream achieved in a `CapacityScenario`.
public struct CapacityOutcome: Sendable {
    /// Client requests.
    public var offered = 0
    /// Answered 2xx within the client's timeout.
    public var served = 0
    /// Refused by the gateway itself (its own 429), answered at once.
    public var refusedByGateway = 0
    /// Attempts sent upstream, and those the upstream answered with 429.
    public var attempts = 0
    public var upstream429 = 0
    /// Seconds from arrival to answer of every served request, sorted by `finish()`.
    public private(set) var latencies: [Double] = []
    /// When each served request arrived, in the order served: where in a scenario a way
    /// falls short (`ballast-lab capacity --timeline`).
    public private(set) var servedArrivals: [Double] = []
    /// When each attempt was sent and to which region (an index into the scenario's), and
    /// the same for each one the upstream answered 429.
    public internal(set) var attemptTimes: [(time: Double, region: Int)] = []
    public internal(set) var upstream429Times: [(time: Double, region: Int)] = []
    /// Upstream allowance (requests) lost to a full bucket, by when it was found lost (the
    /// next charge of that bucket): what this way left unused while it could have sent.
    public internal(set) var unusedAllowance: [(time: Double, requests: Double)] = []
    /// Requests waiting for their paced slot, sampled at each rules step (Ballast only).
    public internal(set) var waiting: [(time: Double, count: Int)] = []
    /// Seconds from arrival to the gateway's own 429.
    public private(set) var refusalLatencies: [Double] = []
    /// What the rules changed, in order (Ballast only).
    public internal(set) var ruleChanges: [RuleChange] = []

    /// A circuit or a route weight the rules changed.
    public struct RuleChange: Sendable, Equatable {
        /// Seconds of the scenario.
        public var time: Double
        /// `region=primary`.
        public var target: String
        /// `open`, `half_open`, `closed`, `weight=100`, `refused_open`.
        public var action: String
    }

    public init() {}

    mutating func serve(arrival: Double, latency: Double) {
        served += 1
        latencies.append(latency)
        servedArrivals.append(arrival)
    }

    mutating func refuse(latency: Double) {
        refusedByGateway += 1
        refusalLatencies.append(latency)
    }

    mutating func finish() {
        latencies.sort()
        refusalLatencies.sort()
    }

    /// Served requests per second of the scenario.
    public func goodput(over duration: Double) -> Double { Double(served) / max(duration, 1e-9) }

    public var servedRatio: Double { offered == 0 ? 1 : Double(served) / Double(offered) }

    public var upstream429Ratio: Double { attempts == 0 ? 0 : Double(upstream429) / Double(attempts) }

    public func latency(quantile: Double) -> Double? { Self.quantile(latencies, quantile) }

    public func refusalLatency(quantile: Double) -> Double? { Self.quantile(refusalLatencies, quantile) }

    static func quantile(_ sorted: [Double], _ q: Double) -> Double? {
        guard !sorted.isEmpty else { return nil }
        let index = min(sorted.count - 1, max(0, Int((Double(sorted.count) * q).rounded(.up)) - 1))
        return sorted[index]
    }
}
