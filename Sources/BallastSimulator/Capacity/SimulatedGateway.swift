import BallastConfig
import BallastCore
import Foundation
import Resilience
import Proxy
import Rules

/// The proxy's policies, router and rules on the simulation's clock, answering what each
/// request's `CallMachine` asks: `CallPolicy` with the shipped defaults, the real `Router`, and
/// the circuits of the shipped rule files as the real engine decides them (`SimulatedRules`).
final class SimulatedGateway: CallWorld {
    static let origin = MonotonicInstant(nanoseconds: 1_000_000_000_000)
    /// Wall time at virtual time 0, for the RFC 3339 instants of the headers and the rules'
    /// windows.
    static let wallOrigin = 1_795_710_000.0

    var time = 0.0
    var now: MonotonicInstant { Self.origin.adding(seconds: time) }
    /// The time as the rule controller reads it: both clocks.
    var ruleTime: RuleTime { RuleTime(monotonic: now, wall: Self.wallOrigin + time) }
    let regions: [Region]
    let router: Router
    let policy: CallPolicy
    var rules: SimulatedRules

    init(scenario: CapacityScenario, rules ruleSet: RuleSet) {
        regions = scenario.regions.map {
            Region(name: $0.name, baseURL: "sim://\($0.name)", weight: $0.weight, limitGroup: "g\($0.group)")
        }
        router = Router(regions: regions)
        // The shipped defaults, so that what the simulation judges is what runs.
        policy = CallPolicy(
            retry: RetryConfig(), hedge: HedgeConfig(), pacing: PacingConfig(), concurrency: ConcurrencyConfig(),
            regions: regions, now: Self.origin, seed: scenario.seed)
        rules = SimulatedRules(rules: ruleSet, regions: scenario.regions.map { RuleRegion(name: $0.name, weight: $0.weight, limitGroup: "g\($0.group)") })
    }

    func index(of region: String) -> Int { regions.firstIndex { $0.name == region } ?? 0 }

    // MARK: CallWorld

    var regionNames: [String] { regions.map(\.name) }
    func region(named name: String) -> Region? { router.region(named: name) }
    func isDrained(_ region: String) -> Bool { false }
    func isStandby(_ region: String) -> Bool { router.isStandby(region) }
    func pick(excluding: Set<String>, peek: Bool) -> Region? { router.pick(excluding: excluding, peek: peek) }

    func admitCircuit(region: String, model: String?) -> CircuitAdmission {
        switch rules.admit(region: region, model: model, at: now) {
        case .closed, .halfOpen: .go
        case .open(let target, let retryAfter, let mode): .open(retryAfter: retryAfter, mode: mode, target: target.description)
        }
    }

    func isCircuitOpen(region: String, model: String?) -> Bool { rules.engine.isOpen(region: region, model: model, at: now) }

    func probeRegion(model: String?, among regions: [String]) -> String? {
        rules.engine.probeRegion(model: model, among: regions, at: now)
    }

    func fallBack(from model: String) -> String? { nil }
    func paceKey(region: Region, model: String?) -> String { policy.paceKey(region: region, model: model) }
    func pacePool(model: String?) -> [String] { policy.pacePool(model: model) }
    func peekAdmission(_ request: RatePacer.Request) -> RateQueue.Admission { policy.peekAdmission(request, now: now) }
    func admit(_ request: RatePacer.Request) -> RatePacer.Grant { policy.admit(request, now: now) }
    func isAllowanceShort(region: Region) -> Bool { policy.isAllowanceShort(region: region, now: now) }
    func release(_ charge: PacingCharge) { policy.release(paceKey: charge.key, cost: charge.cost, due: charge.due, now: now) }
    func sendEarly(_ charge: PacingCharge) -> Bool {
        guard let due = charge.due else { return false }
        return policy.sendEarly(paceKey: charge.key, cost: charge.cost, due: due, now: now)
    }
    func hasConcurrencyRoom(region: Region) -> Bool { policy.hasConcurrencyRoom(region: region) }
    func hedgeKey(region: Region, model: String?) -> String { policy.key(region: region, model: model) }
    func hedgeDelay(key: String, model: String?) -> Double? { policy.hedgeDelay(key: key, model: model, now: now) }
    func usualFirstByte(key: String) -> Double? { policy.usualFirstByte(key: key, now: now) }
    func mayHedge() -> Bool { policy.mayHedge(atDelay: true, now: now) }
    func mayHedgeStraggler() -> Bool { policy.mayHedgeStraggler(now: now) }

    func retryDelay(after failure: Failure, nextAttempt: Int, remaining: Double, untriedRegionLeft: Bool) -> Double? {
        policy.retryDelay(
            after: failure, nextAttempt: nextAttempt, remaining: remaining, untriedRegionLeft: untriedRegionLeft,
            now: now)
    }

    /// The simulated credential is never rejected.
    func credentialsRefreshed(rejecting index: Int) -> Bool { false }
}
