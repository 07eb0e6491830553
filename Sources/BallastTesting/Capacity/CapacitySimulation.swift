import Foundation
import BallastCore
import HeapModule
import Resilience

/// Runs a `CapacityScenario` in virtual time: thousands of requests and a minute of faults in
/// milliseconds, the same result for the same seed.
///
/// The upstream behaves as the API documents: one token bucket per limit group, shared by its
/// regions, charged when a request arrives; a 429 (with `retry-after`) when it is empty; every
/// answer carries `anthropic-ratelimit-requests-{limit,remaining,reset}`. A region in an outage
/// answers 503 or 529, refuses connections, resets them, or stalls (no answer at all).
///
/// Two ways of calling it, over the same arrivals:
/// - `.unprotected`: a plain client (no retries) calling the first region, as an application
///   with no gateway does.
/// - `.ballast`: Ballast's pacing policy itself (`RatePacer`: limit groups, the bucket model,
///   deadlines, refusing a sustained excess at once) in front of a failover model of the
///   shipped rules: a region with 3 failures in a row is out (as `region-down` and the fast
///   `region-failing` do), probed after 1.5 s, doubling per trip; a failed or 429'd attempt
///   is tried again (another region first) while the deadline allows; an attempt without an
///   answer after 2.5x the region's usual time is moved elsewhere, and when that opens the
///   region, every attempt still stuck there is moved at once.
///   What this does *not* drive yet is the call state machine of the proxy (`ProxiedCall`),
///   whose decisions are still interleaved with its I/O; the real-time end-to-end tests cover
///   that wiring.
public enum CapacitySimulation {
    public enum Gateway: String, Sendable, CaseIterable {
        case unprotected, ballast
    }

    public static func run(_ scenario: CapacityScenario, gateway: Gateway) -> CapacityOutcome {
        var world = World(scenario: scenario, gateway: gateway)
        world.run()
        return world.outcome
    }

    /// The client arrivals of a scenario (Poisson, from its seed); the oracle uses them too.
    public static func arrivals(_ scenario: CapacityScenario) -> [Double] {
        var random = SeededRandom(seed: scenario.seed)
        var times: [Double] = []
        var time = 0.0
        guard scenario.arrivalRate > 0 else { return [] }
        while true {
            time += -log(max(1e-12, 1 - random.unit())) / scenario.arrivalRate
            guard time < scenario.duration else { return times }
            times.append(time)
        }
    }
}

/// Failures that move a region out in the failover model, and how long it stays out.
private struct RegionHealth {
    var consecutiveFailures = 0
    var openUntil: Double?
    var trips = 0
    var lastClosed = -Double.infinity
    /// While half-open, one probe at a time.
    var probeInFlight = false

    static let failuresToOpen = 3
    static let firstOpen = 1.5
    /// Doubling per trip stops here: a region that blips again after a long outage would
    /// otherwise stay out for minutes while the others cannot carry its load (seed 218 of
    /// the random scenarios lost a fifth of its goodput to a 24 s opening after a 1 s blip).
    static let maxOpen = 12.0

    func isAvailable(at time: Double) -> Bool {
        guard let openUntil else { return true }
        return time >= openUntil && !probeInFlight
    }

    var isHalfOpen: Bool { openUntil != nil }

    mutating func record(success: Bool, at time: Double) {
        if success {
            consecutiveFailures = 0
            if openUntil != nil, time >= openUntil! {
                openUntil = nil
                lastClosed = time
            }
            probeInFlight = false
            return
        }
        consecutiveFailures += 1
        if let until = openUntil, time >= until {
            // A failed probe: open again, for longer.
            open(at: time)
        } else if openUntil == nil, consecutiveFailures >= Self.failuresToOpen {
            // A trip soon after the last recovery counts as a relapse: open longer.
            if time - lastClosed > 10 { trips = 0 }
            open(at: time)
        }
    }

    private mutating func open(at time: Double) {
        trips += 1
        openUntil = time + min(Self.maxOpen, Self.firstOpen * pow(2, Double(trips - 1)))
        probeInFlight = false
    }
}

private struct Event: Comparable {
    enum Kind {
        case arrival(request: Int)
        case send(request: Int, region: Int, charge: RequestCost, due: Double)
        case answer(request: Int, attempt: Int)
        case overdue(request: Int, attempt: Int)
    }

    var time: Double
    var sequence: Int
    var kind: Kind

    static func < (lhs: Event, rhs: Event) -> Bool { (lhs.time, lhs.sequence) < (rhs.time, rhs.sequence) }
    static func == (lhs: Event, rhs: Event) -> Bool { lhs.time == rhs.time && lhs.sequence == rhs.sequence }
}

private struct World {
    struct Request {
        var arrival: Double
        var deadline: Double
        var tried: Set<Int> = []
        var attempts = 0
        var done = false
        var countedDemand = false
        /// The attempt whose answer counts; older ones were moved on and are ignored.
        var liveAttempt = -1
    }

    struct Attempt {
        var request: Int
        var region: Int
        var sentAt: Double
        var status: Int = 0
        var answered = false
        var headers = RateLimitHeaders()
        var retryAfter: Double?
        /// The connection was refused: the request never reached the upstream.
        var refused = false
    }

    let scenario: CapacityScenario
    let gateway: CapacitySimulation.Gateway
    var outcome = CapacityOutcome()
    var events = Heap<Event>()
    var sequence = 0
    var random: SeededRandom
    var buckets: [TokenBucket]
    var requests: [Request] = []
    var attempts: [Attempt] = []
    var health: [RegionHealth]
    /// Attempts sent to each region and not answered yet.
    var outstanding: [Set<Int>]
    let pacer = RatePacer(maxWaiting: 100_000, maxWait: 600)
    /// Wall time at virtual time 0, for the RFC 3339 instants of the headers.
    static let wallOrigin = 1_795_710_000.0
    static let origin = MonotonicInstant(nanoseconds: 1_000_000_000_000)
    static let maxAttempts = 4
    /// A request waiting for its slot looks for a region that can send it now this often.
    static let recheckWaiters = 0.25

    /// An attempt without an answer after 2.5 times its region's usual time (at least 0.5 s)
    /// is stuck: the slowest healthy answer here takes 1.2 times the usual time.
    static func overdueAfter(_ serviceTime: Double) -> Double { max(0.5, 2.5 * serviceTime) }

    init(scenario: CapacityScenario, gateway: CapacitySimulation.Gateway) {
        self.scenario = scenario
        self.gateway = gateway
        random = SeededRandom(seed: scenario.seed ^ 0xC0FF_EE00_D15E_A5E5)
        buckets = scenario.groups.map { TokenBucket(capacity: $0.bucket, ratePerSecond: $0.refillPerSecond, now: 0) }
        health = Array(repeating: RegionHealth(), count: scenario.regions.count)
        outstanding = Array(repeating: [], count: scenario.regions.count)
        let keys = scenario.regions.map { "g\($0.group)|model" }
        let pool = Array(Set(keys)).sorted()
        self.pool = pool
        poolIndex = keys.map { key in pool.firstIndex(of: key) ?? 0 }
    }

    mutating func run() {
        for time in CapacitySimulation.arrivals(scenario) {
            requests.append(Request(arrival: time, deadline: time + scenario.clientTimeout))
        }
        outcome.offered = requests.count
        // Arrivals are taken in order from their list, merged with the heap of everything
        // else (a heap of every arrival made the run three times slower). Bounded: every
        // event is one of a finite number of requests' at most `maxAttempts` attempts, each
        // with at most three events.
        var next = 0
        while true {
            if next < requests.count, events.min.map({ requests[next].arrival <= $0.time }) ?? true {
                handle(Event(time: requests[next].arrival, sequence: 0, kind: .arrival(request: next)))
                next += 1
            } else if let event = events.popMin() {
                handle(event)
            } else {
                break
            }
        }
        outcome.finish()
    }

    mutating func schedule(_ time: Double, _ kind: Event.Kind) {
        sequence += 1
        events.insert(Event(time: time, sequence: sequence, kind: kind))
    }

    static func instant(_ time: Double) -> MonotonicInstant { origin.adding(seconds: time) }

    func paceKey(_ region: Int) -> String { pool[poolIndex[region]] }

    /// Every pacing key (the whole allowance, as `CallPolicy.pacePool` gives it).
    let pool: [String]
    /// Each region's key, as an index into `pool`.
    let poolIndex: [Int]

    mutating func handle(_ event: Event) {
        switch event.kind {
        case .arrival(let request):
            switch gateway {
            case .unprotected: send(request: request, region: 0, at: event.time)
            case .ballast: launch(request: request, at: event.time)
            }
        case .send(let request, let region, let charge, let due):
            guard !requests[request].done else { return }
            if event.time < due {
                // Still waiting for its slot: a region of another group that can send now
                // (one that came back, say) takes it, and the slot goes back.
                if let other = spillRegion(for: request, from: region, at: event.time) {
                    pacer.refund(paceKey(region), cost: charge, now: Self.instant(event.time))
                    requests[request].countedDemand = true
                    return launchAt(request: request, region: other, at: event.time)
                }
                return schedule(min(due, event.time + Self.recheckWaiters), .send(request: request, region: region, charge: charge, due: due))
            }
            claimProbe(region, at: event.time)
            send(request: request, region: region, at: event.time)
        case .answer(let request, let attempt):
            answered(request: request, attempt: attempt, at: event.time)
        case .overdue(let request, let attempt):
            overdue(request: request, attempt: attempt, at: event.time)

        }
    }

    // MARK: The upstream

    /// Sends one attempt: the upstream decides at arrival, the answer comes back later.
    mutating func send(request index: Int, region: Int, at time: Double) {
        outcome.attempts += 1
        requests[index].attempts += 1
        requests[index].tried.insert(region)
        var attempt = Attempt(request: index, region: region, sentAt: time)
        let oneWay = scenario.networkDelay + scenario.networkJitter * random.unit()
        let arrival = time + oneWay
        let config = scenario.regions[region]
        var answerAt: Double?
        let outage = config.outage(at: arrival)
        if let outage, outage.kind == .refused || outage.kind == .stalled {
            // Never reached the API's front door: nothing is charged, nothing answers (a
            // refused connection says so at once; a stall says nothing).
            if outage.kind == .refused {
                attempt.refused = true
                answerAt = time + 0.001
            }
        } else {
            // The rate limiter stands in front of everything else: a request that reaches
            // the API is charged, or refused with 429, before the service can fail it.
            let group = config.group
            // The upstream's buckets stop refilling when the scenario ends, for every way of
            // calling it alike: no way gains from serving a backlog after the end.
            let admitted = buckets[group].take(1, now: min(arrival, scenario.duration))
            let limits = scenario.groups[group]
            let bucket = buckets[group]
            attempt.headers = RateLimitHeaders(requests: .init(
                limit: limits.perMinute, remaining: bucket.level.rounded(.down),
                resetAt: Self.wallOrigin + min(arrival, scenario.duration) + bucket.secondsUntilFull))
            if !admitted {
                attempt.status = 429
                attempt.retryAfter = max(1, min(60, bucket.secondsUntil(1)).rounded(.up))
                answerAt = arrival + 0.01 + oneWay
            } else if let outage {
                attempt.status = outage.kind == .status503 ? 503 : outage.kind == .status529 ? 529 : 0
                answerAt = arrival + (outage.kind == .reset ? 0.05 : 0.02) + oneWay
            } else {
                attempt.status = 200
                answerAt = arrival + config.serviceTime * (0.8 + 0.4 * random.unit()) + oneWay
            }
        }
        attempts.append(attempt)
        let id = attempts.count - 1
        requests[index].liveAttempt = id
        outstanding[region].insert(id)
        if let answerAt { schedule(answerAt, .answer(request: index, attempt: id)) }
        switch gateway {
        case .unprotected:
            if answerAt == nil { schedule(requests[index].deadline, .overdue(request: index, attempt: id)) }
        case .ballast:
            schedule(time + Self.overdueAfter(config.serviceTime), .overdue(request: index, attempt: id))
        }
    }

    // MARK: The gateways

    mutating func answered(request index: Int, attempt id: Int, at time: Double) {
        attempts[id].answered = true
        outstanding[attempts[id].region].remove(id)
        let attempt = attempts[id]
        if gateway == .ballast {
            let answer = RateAllowance.Answer(limits: attempt.headers, rateLimited: attempt.status == 429,
                                              retryAfter: attempt.retryAfter, sentAt: Self.instant(attempt.sentAt))
            pacer.record(paceKey(attempt.region), answer: answer, wallTime: Self.wallOrigin + time, now: Self.instant(time))
            if attempt.refused {
                pacer.refund(paceKey(attempt.region), cost: .zero, sentAt: Self.instant(attempt.sentAt), now: Self.instant(time))
            }
            if attempt.status != 429 {
                health[attempt.region].record(success: attempt.status == 200, at: time)
            }
        }
        if attempt.status == 429 { outcome.upstream429 += 1 }
        guard !requests[index].done, requests[index].liveAttempt == id else { return }
        if attempt.status == 200 {
            requests[index].done = true
            if time <= requests[index].deadline { outcome.serve(latency: time - requests[index].arrival) }
            return
        }
        switch gateway {
        case .unprotected:
            requests[index].done = true
        case .ballast:
            retry(request: index, after: attempt, at: time)
        }
    }

    mutating func overdue(request index: Int, attempt id: Int, at time: Double) {
        guard !attempts[id].answered else { return }
        switch gateway {
        case .unprotected:
            requests[index].done = true
        case .ballast:
            let region = attempts[id].region
            outstanding[region].remove(id)
            let wasOpen = health[region].isHalfOpen
            health[region].record(success: false, at: time)
            if !wasOpen, health[region].isHalfOpen {
                // The region just went out: what is still stuck there moves now, not each
                // at its own overdue time.
                for stuck in outstanding[region].sorted() {
                    outstanding[region].remove(stuck)
                    pacer.refund(paceKey(region), cost: .zero, sentAt: Self.instant(attempts[stuck].sentAt), now: Self.instant(time))
                    let owner = attempts[stuck].request
                    if !requests[owner].done, requests[owner].liveAttempt == stuck {
                        retry(request: owner, after: attempts[stuck], at: time)
                    }
                }
            }
            // Stuck, so most likely it never reached the API: its allowance goes back (the
            // next answers' remaining corrects that if it did).
            pacer.refund(paceKey(region), cost: .zero, sentAt: Self.instant(attempts[id].sentAt), now: Self.instant(time))
            guard !requests[index].done, requests[index].liveAttempt == id else { return }
            // Stuck: moved elsewhere before its deadline.
            retry(request: index, after: attempts[id], at: time)
        }
    }

    mutating func retry(request index: Int, after attempt: Attempt, at time: Double) {
        guard requests[index].attempts < Self.maxAttempts, time < requests[index].deadline else {
            requests[index].done = true
            return
        }
        launch(request: index, at: time, avoiding: attempt.status == 429 ? nil : attempt.region)
    }

    /// Ballast: pick a region (weights, failover), ask pacing, send now, later, or refuse.
    /// As the proxy does, a region whose allowance would make the request wait more than
    /// 50 ms gives it to another region (of another limit group) that can send it now.
    mutating func launch(request index: Int, at time: Double, avoiding: Int? = nil) {
        guard var region = pickRegion(for: index, at: time, avoiding: avoiding) else {
            requests[index].done = true
            return
        }
        let remaining = requests[index].deadline - time
        switch pacer.peek(RatePacer.Request(key: paceKey(region), pool: pool, deadline: remaining), now: Self.instant(time)) {
        case .wait(let seconds) where seconds > 0.05:
            region = spillRegion(for: index, from: region, at: time) ?? region
        case .reject:
            region = spillRegion(for: index, from: region, at: time) ?? region
        default:
            break
        }
        let demand = requests[index].countedDemand ? nil : "model"
        requests[index].countedDemand = true
        let grant = pacer.admit(RatePacer.Request(key: paceKey(region), pool: pool, demand: demand, deadline: remaining),
                                now: Self.instant(time))
        switch grant.admission {
        case .now:
            claimProbe(region, at: time)
            send(request: index, region: region, at: time)
        case .wait(let seconds):
            let due = time + seconds
            schedule(min(due, time + Self.recheckWaiters), .send(request: index, region: region, charge: grant.cost, due: due))
        case .reject:
            requests[index].done = true
            if requests[index].attempts == 0 { outcome.refuse(latency: time - requests[index].arrival) }
        }
    }

    /// Sends to `region` if its allowance admits the request at once (a spill found it so).
    mutating func launchAt(request index: Int, region: Int, at time: Double) {
        let grant = pacer.admit(RatePacer.Request(key: paceKey(region), pool: pool, deadline: 0), now: Self.instant(time))
        guard grant.admission == .now else { return launch(request: index, at: time) }
        claimProbe(region, at: time)
        send(request: index, region: region, at: time)
    }

    /// Another available region, not tried yet, whose allowance sends at once.
    func spillRegion(for index: Int, from region: Int, at time: Double) -> Int? {
        scenario.regions.indices.first { candidate in
            candidate != region && !requests[index].tried.contains(candidate) && health[candidate].isAvailable(at: time)
                && pacer.peek(RatePacer.Request(key: paceKey(candidate), pool: pool, deadline: 0), now: Self.instant(time)) == .now
        }
    }

    mutating func claimProbe(_ region: Int, at time: Double) {
        if health[region].isHalfOpen, health[region].isAvailable(at: time) { health[region].probeInFlight = true }
    }

    /// Weighted choice among available regions (standbys only when no weighted one is), the
    /// untried first.
    mutating func pickRegion(for index: Int, at time: Double, avoiding: Int?) -> Int? {
        let regions = scenario.regions.indices
        let available = regions.filter { health[$0].isAvailable(at: time) && $0 != avoiding }
        let untried = available.filter { !requests[index].tried.contains($0) }
        for candidates in [untried, available] {
            let weighted = candidates.filter { scenario.regions[$0].weight > 0 }
            let pool = weighted.isEmpty ? candidates : weighted
            guard !pool.isEmpty else { continue }
            let total = pool.reduce(0) { $0 + max(1, scenario.regions[$1].weight) }
            var draw = Int(random.next() % UInt64(total))
            for region in pool {
                draw -= max(1, scenario.regions[region].weight)
                if draw < 0 { return region }
            }
        }
        // Every region is out: the one that takes a probe soonest, as the panic threshold
        // keeps one region open. (Holding the requests until a probe passes instead was
        // tried: worse on 4 of 120 random seeds, as every held request goes at once.)
        return regions.filter { $0 != avoiding }.min { (health[$0].openUntil ?? 0) < (health[$1].openUntil ?? 0) }
            ?? avoiding
    }
}
