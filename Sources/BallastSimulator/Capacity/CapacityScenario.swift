import Foundation
import BallastCore

/// One capacity scenario for the virtual-time simulation: the limits the upstream enforces
/// (token buckets per limit group), its regions and their outages, and the load.
///
/// Built from the API's documented behaviour, not from what Ballast assumes: a limit belongs
/// to a credential and is shared by every region that uses it (unless the scenario gives a
/// region a group of its own), the bucket may hold anything from one second's to one minute's
/// worth of the per-minute figure, and a region fails in the ways regions do (5xx, 529,
/// refused connections, resets, stalls), starting and ending at any time.
public struct CapacityScenario: Sendable, CustomStringConvertible {
    /// One token bucket of requests.
    public struct LimitGroup: Sendable {
        /// The per-minute figure (`anthropic-ratelimit-requests-limit`): the refill rate x 60.
        public var perMinute: Double
        /// What the bucket holds when full.
        public var bucket: Double

        public init(perMinute: Double, bucket: Double) {
            self.perMinute = perMinute
            self.bucket = max(1, bucket)
        }

        public var refillPerSecond: Double { perMinute / 60 }
    }

    public enum OutageKind: String, Sendable, CaseIterable {
        case status503 = "503", status529 = "529", refused, reset, stalled
    }

    public struct Outage: Sendable {
        public var start: Double
        public var end: Double
        public var kind: OutageKind

        public init(start: Double, end: Double, kind: OutageKind) {
            self.start = start
            self.end = end
            self.kind = kind
        }

        public func covers(_ time: Double) -> Bool { time >= start && time < end }
    }

    public struct Region: Sendable {
        public var name: String
        /// Index into `groups`.
        public var group: Int
        public var weight: Int
        /// The usual seconds from a request's arrival to its answer.
        public var serviceTime: Double
        public var outages: [Outage]

        public init(name: String, group: Int, weight: Int, serviceTime: Double, outages: [Outage] = []) {
            self.name = name
            self.group = group
            self.weight = weight
            self.serviceTime = serviceTime
            self.outages = outages
        }

        public func outage(at time: Double) -> Outage? { outages.first { $0.covers(time) } }
    }

    public var seed: UInt64
    /// Seconds of arrivals.
    public var duration: Double
    /// Client requests per second (Poisson).
    public var arrivalRate: Double
    /// The client's timeout (what the SDK sends as `x-stainless-timeout`).
    public var clientTimeout: Double
    /// One-way network time between the gateway and the upstream, and its jitter (a uniform
    /// extra of up to this much): requests can overtake each other on the way.
    public var networkDelay: Double
    public var networkJitter: Double
    public var groups: [LimitGroup]
    public var regions: [Region]

    public init(
        seed: UInt64, duration: Double, arrivalRate: Double, clientTimeout: Double = 60,
        networkDelay: Double = 0.005, networkJitter: Double = 0.005, groups: [LimitGroup], regions: [Region]
    ) {
        self.seed = seed
        self.duration = duration
        self.arrivalRate = arrivalRate
        self.clientTimeout = clientTimeout
        self.networkDelay = networkDelay
        self.networkJitter = networkJitter
        self.groups = groups
        self.regions = regions
    }

    /// Requests per second every group together refills.
    public var totalAllowance: Double { groups.reduce(0) { $0 + $1.refillPerSecond } }

    public var description: String {
        let groupText = groups.map { "\(Int($0.perMinute))/min bucket \(Int($0.bucket))" }.joined(separator: ", ")
        let regionText = regions.map { region in
            let outages = region.outages.map { "\($0.kind.rawValue) \(Int($0.start))-\(Int($0.end))s" }.joined(separator: " ")
            return "\(region.name)(g\(region.group) w\(region.weight) \(region.serviceTime)s\(outages.isEmpty ? "" : " " + outages))"
        }.joined(separator: " ")
        return "seed \(seed): \(Int(arrivalRate)) req/s for \(Int(duration))s, timeout \(Int(clientTimeout))s; groups [\(groupText)]; \(regionText)"
    }

    /// A scenario drawn from `seed`: limits per credential or per region, buckets from 1/60 to
    /// 1x of the per-minute figure, load from 0.3x to 2x the whole allowance, outages of every
    /// kind starting and ending at random.
    public static func random(seed: UInt64, duration: Double = 60) -> CapacityScenario {
        var random = SeededRandom(seed: seed &* 0x2545_F491_4F6C_DD1D &+ 1)
        func uniform(_ low: Double, _ high: Double) -> Double { low + (high - low) * random.unit() }
        let regionCount = 2 + Int(random.next() % 2)
        let shared = random.unit() < 0.5
        let groupCount = shared ? 1 : regionCount
        let groups = (0..<groupCount).map { _ in
            let perSecond = uniform(20, 200)
            // Log-uniform between a second's and a minute's worth.
            let share = exp(uniform(log(1.0 / 60), 0))
            return LimitGroup(perMinute: (perSecond * 60).rounded(), bucket: (perSecond * 60 * share).rounded())
        }
        var regions: [Region] = []
        for index in 0..<regionCount {
            var outages: [Outage] = []
            for _ in 0..<Int(random.next() % 3) {
                let start = uniform(0, duration)
                let kind = OutageKind.allCases[Int(random.next() % UInt64(OutageKind.allCases.count))]
                outages.append(Outage(start: start, end: min(duration, start + uniform(1, 20)), kind: kind))
            }
            let weight = index == 0 ? 100 : (random.unit() < 0.3 ? 0 : 100)
            regions.append(
                Region(
                    name: "r\(index)", group: shared ? 0 : index, weight: weight,
                    serviceTime: uniform(0.2, 2).rounded(toPlaces: 2), outages: outages))
        }
        let allowance = groups.reduce(0) { $0 + $1.refillPerSecond }
        return CapacityScenario(
            seed: seed, duration: duration, arrivalRate: allowance * uniform(0.3, 2),
            clientTimeout: uniform(10, 60).rounded(), groups: groups, regions: regions)
    }
}

extension Double {
    func rounded(toPlaces places: Int) -> Double {
        let scale = Foundation.pow(10, Double(places))
        return (self * scale).rounded() / scale
    }
}
