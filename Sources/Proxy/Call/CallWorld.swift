public import BallastCore
public import Resilience
public import Rules

/// What a `CallMachine` asks of the gateway around it while it decides: the regions and their
/// weights, circuits, pacing, hedging and retry budgets.
///
/// A world answers at its own time (`now`): the proxy's is the loop thread's clock over the
/// shared policies, a simulation's a manual clock over simulated ones. Some answers take
/// something (a probe permit, a pacing reservation, a hedge from the budget); the machine
/// asks for those only when it acts on the answer, as the proxy always did.
public protocol CallWorld {
    var now: MonotonicInstant { get }

    // MARK: Routes
    /// Every configured region's name, in configuration order.
    var regionNames: [String] { get }
    func region(named name: String) -> Region?
    func isDrained(_ region: String) -> Bool
    /// The router's weighted choice among regions not in `excluding`; `peek` moves no cursor.
    func pick(excluding: Set<String>, peek: Bool) -> Region?
    /// True when `region`'s weight in force is 0 (a standby, or a region failed away from).
    func isStandby(_ region: String) -> Bool

    // MARK: Circuits
    /// Takes a probe permit when the circuit is half-open.
    func admitCircuit(region: String, model: String?) -> CircuitAdmission
    /// True when a request to `region` for `model` would be refused; takes no permit.
    func isCircuitOpen(region: String, model: String?) -> Bool
    /// A region among `regions` whose circuit for `model` is half-open.
    func probeRegion(model: String?, among regions: [String]) -> String?
    /// Rewrites the request for the degradation map's fallback of `model` and returns the new
    /// model; nil when there is none (or the body cannot be rewritten).
    func fallBack(from model: String) -> String?

    // MARK: Pacing and concurrency
    func paceKey(region: Region, model: String?) -> String
    func pacePool(model: String?) -> [String]
    func peekAdmission(_ request: RatePacer.Request) -> RateQueue.Admission
    func admit(_ request: RatePacer.Request) -> RatePacer.Grant
    /// Gives back a paced reservation that will not be used.
    func release(_ charge: PacingCharge)
    /// True when the waiting `charge` (its `due` set) may be sent now: the requests ahead of it
    /// in its allowance's line have gone (its reservation then moves to now).
    func sendEarly(_ charge: PacingCharge) -> Bool
    func hasConcurrencyRoom(region: Region) -> Bool
    /// True when the region's rate allowance binds (requests wait for it, or demand is above
    /// it). Its concurrency limit does not count: that is a slot, not a share of the allowance.
    func isAllowanceShort(region: Region) -> Bool

    // MARK: Hedges and retries
    /// The key hedging learns times to first byte per.
    func hedgeKey(region: Region, model: String?) -> String
    /// Seconds after which a second copy is worth sending, or nil (no hedging for this key).
    func hedgeDelay(key: String, model: String?) -> Double?
    /// The usual time to first byte for `key` (the hedge quantile of recent ones, whether or
    /// not hedging is on), or nil while too few are known.
    func usualFirstByte(key: String) -> Double?
    /// Takes a hedge from the budget, at the hedge delay: part of the budget stays for the
    /// second look (`CallPolicy.hedgeSpareAtDelay`).
    func mayHedge() -> Bool
    /// Takes a hedge at the second look: from the whole budget, or else the straggler reserve.
    func mayHedgeStraggler() -> Bool
    /// Seconds before the next attempt, or nil to stop trying.
    func retryDelay(after failure: Failure, nextAttempt: Int, remaining: Double, untriedRegionLeft: Bool) -> Double?
    /// After a 401 to attempt `index`: true when the credentials were refreshed and one
    /// replay may go.
    func credentialsRefreshed(rejecting index: Int) -> Bool
}

/// What a region's circuits say about one more request to it.
public enum CircuitAdmission: Sendable, Equatable {
    case go
    case open(retryAfter: Double, mode: CircuitMode, target: String)
}
