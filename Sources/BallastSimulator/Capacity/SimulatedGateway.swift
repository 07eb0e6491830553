import BallastConfig
import BallastCore
import Foundation
import Resilience
import Proxy
import Rules

/// The proxy's policies and router on the simulation's clock, answering what each request's
/// `CallMachine` asks; circuits come from `SimulatedCircuits`, a model of the shipped rules.
final class SimulatedGateway: CallWorld {
    static let origin = MonotonicInstant(nanoseconds: 1_000_000_000_000)

    var time = 0.0
    var now: MonotonicInstant { Self.origin.adding(seconds: time) }
    let regions: [Region]
    let router: Router
    let policy: CallPolicy
    var circuits: SimulatedCircuits

    init(scenario: CapacityScenario) {
        regions = scenario.regions.map {
            Region(name: $0.name, baseURL: "sim://\($0.name)", weight: $0.weight, limitGroup: "g\($0.group)")
        }
        router = Router(regions: regions)
        // The shipped defaults, so that what the simulation judges is what runs.
        policy = CallPolicy(
            retry: RetryConfig(), hedge: HedgeConfig(), pacing: PacingConfig(), concurrency: ConcurrencyConfig(),
            regions: regions, now: Self.origin, seed: scenario.seed)
        circuits = SimulatedCircuits(regions: regions.map(\.name))
    }

    func index(of region: String) -> Int { regions.firstIndex { $0.name == region } ?? 0 }

    // MARK: CallWorld

    var regionNames: [String] { regions.map(\.name) }
    func region(named name: String) -> Region? { router.region(named: name) }
    func isDrained(_ region: String) -> Bool { false }
    func pick(excluding: Set<String>, peek: Bool) -> Region? { router.pick(excluding: excluding, peek: peek) }

    func admitCircuit(region: String, model: String?) -> CircuitAdmission {
        circuits.admit(index(of: region), at: time)
    }

    func isCircuitOpen(region: String, model: String?) -> Bool { !circuits.isAvailable(index(of: region), at: time) }

    func probeRegion(model: String?, among regions: [String]) -> String? {
        regions.first { circuits.isProbeDue(index(of: $0), at: time) }
    }

    func fallBack(from model: String) -> String? { nil }
    func paceKey(region: Region, model: String?) -> String { policy.paceKey(region: region, model: model) }
    func pacePool(model: String?) -> [String] { policy.pacePool(model: model) }
    func peekAdmission(_ request: RatePacer.Request) -> RateQueue.Admission { policy.peekAdmission(request, now: now) }
    func admit(_ request: RatePacer.Request) -> RatePacer.Grant { policy.admit(request, now: now) }
    func isAllowanceShort(region: Region) -> Bool { policy.isAllowanceShort(region: region, now: now) }
    func release(_ charge: PacingCharge) { policy.release(paceKey: charge.key, cost: charge.cost, now: now) }
    func hasConcurrencyRoom(region: Region) -> Bool { policy.hasConcurrencyRoom(region: region) }
    func hedgeKey(region: Region, model: String?) -> String { policy.key(region: region, model: model) }
    func hedgeDelay(key: String, model: String?) -> Double? { policy.hedgeDelay(key: key, model: model, now: now) }
    func mayHedge() -> Bool { policy.mayHedge(now: now) }
    func mayHedgeStraggler() -> Bool { policy.mayHedgeStraggler(now: now) }

    func retryDelay(after failure: Failure, nextAttempt: Int, remaining: Double, untriedRegionLeft: Bool) -> Double? {
        policy.retryDelay(
            after: failure, nextAttempt: nextAttempt, remaining: remaining, untriedRegionLeft: untriedRegionLeft,
            now: now)
    }

    /// The simulated credential is never rejected.
    func credentialsRefreshed(rejecting index: Int) -> Bool { false }
}

/// A model of the shipped circuit rules, per region: 3 failures in a row put a region out
/// (as `region-down` and the fast `region-failing` do), a probe goes after 1.5 s, the time out
/// doubles per trip up to 12 s, and the panic threshold keeps one region in.
struct SimulatedCircuits {
    struct Health {
        var consecutiveFailures = 0
        var openUntil: Double?
        var trips = 0
        var lastClosed = -Double.infinity
        /// While half-open, one probe at a time.
        var probeInFlight = false
    }

    static let failuresToOpen = 3
    static let firstOpen = 1.5
    /// Doubling per trip stops here: a region that blips again after a long outage would
    /// otherwise stay out for minutes while the others cannot carry its load (seed 218 of
    /// the random scenarios lost a fifth of its goodput to a 24 s opening after a 1 s blip).
    static let maxOpen = 12.0

    private(set) var health: [Health]
    let names: [String]

    init(regions: [String]) {
        names = regions
        health = Array(repeating: Health(), count: regions.count)
    }

    func isAvailable(_ region: Int, at time: Double) -> Bool {
        guard let openUntil = health[region].openUntil else { return true }
        return time >= openUntil && !health[region].probeInFlight
    }

    func isProbeDue(_ region: Int, at time: Double) -> Bool {
        health[region].openUntil != nil && isAvailable(region, at: time)
    }

    /// Takes the probe of a half-open region; refuses an open one unless every region is out
    /// (then the one that is due soonest goes, as the panic threshold keeps one region in).
    mutating func admit(_ region: Int, at time: Double) -> CircuitAdmission {
        if isAvailable(region, at: time) {
            if health[region].openUntil != nil { health[region].probeInFlight = true }
            return .go
        }
        let anyAvailable = health.indices.contains { isAvailable($0, at: time) }
        let soonest = health.indices.min { (health[$0].openUntil ?? 0) < (health[$1].openUntil ?? 0) }
        if !anyAvailable, soonest == region { return .go }
        return .open(retryAfter: max(1, (health[region].openUntil ?? time) - time), mode: .reroute, target: names[region])
    }

    /// Records an answer (or a stall); true when this put the region out.
    mutating func record(_ region: Int, success: Bool, at time: Double) -> Bool {
        if success {
            health[region].consecutiveFailures = 0
            if let until = health[region].openUntil, time >= until {
                health[region].openUntil = nil
                health[region].lastClosed = time
            }
            health[region].probeInFlight = false
            return false
        }
        health[region].consecutiveFailures += 1
        if let until = health[region].openUntil, time >= until {
            // A failed probe: out again, for longer.
            open(region, at: time)
            return false
        }
        if health[region].openUntil == nil, health[region].consecutiveFailures >= Self.failuresToOpen {
            // A trip soon after the last recovery counts as a relapse: out for longer.
            if time - health[region].lastClosed > 10 { health[region].trips = 0 }
            open(region, at: time)
            return true
        }
        return false
    }

    private mutating func open(_ region: Int, at time: Double) {
        health[region].trips += 1
        health[region].openUntil = time + min(Self.maxOpen, Self.firstOpen * pow(2, Double(health[region].trips - 1)))
        health[region].probeInFlight = false
    }
}
