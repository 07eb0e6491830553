import Foundation
import BallastCore
import HeapModule
import Resilience
public import Rules
import Upstream
import Proxy
import RulesRuntime

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
/// - `.ballast`: the proxy's own decisions: one `CallMachine` per request (region choice,
///   spills, paced waits, retries, hedges, stall rescues, what the client is answered) over the
///   proxy's `CallPolicy` with its shipped defaults (pacing and its bucket model, the retry
///   budget and backoff, hedging and its budgets, the adaptive concurrency limit) and the real
///   `Router`, all on the simulation's clock. Answers reach the policies as HTTP headers, as
///   they do in the proxy. Circuits and failback come from the rule files the gateway ships,
///   evaluated by the real engine every `RuleSet.tickInterval` (and between ticks when a
///   circuit is due to go half-open or a probe answered) over the real attempt windows
///   (`SimulatedRules`), fed as the proxy feeds them: a request's attempts when it ends, a
///   stuck attempt when its first byte falls overdue; a region whose circuit opens tells the
///   calls stuck there (`CallMachine.Event.regionOut`), and a region whose circuit closes the
///   calls waiting for a paced slot, longest waiting first (`.regionBack`), as the proxy's
///   `CallsInFlight` does.
///   The real-time end-to-end tests cover the wiring the simulation leaves out (libcurl,
///   sockets, threads, the SQLite store).
public enum CapacitySimulation {
    public enum Gateway: String, Sendable, CaseIterable {
        case unprotected, ballast
    }

    /// - Parameter rules: the rule files Ballast runs (`loadRules`); the unprotected client
    ///   ignores them.
    public static func run(_ scenario: CapacityScenario, gateway: Gateway, rules: RuleSet) -> CapacityOutcome {
        var world = World(scenario: scenario, gateway: gateway, rules: rules)
        world.run()
        return world.outcome
    }

    /// Reads rule files as the gateway does (`rules.paths`, globs expanded); every problem of
    /// every file is in the error.
    public static func loadRules(paths: [String]) throws -> RuleSet {
        try RuleSet.load(paths: paths).get()
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

private struct Event: Comparable {
    enum Kind {
        case arrival(request: Int)
        /// An upstream attempt's answer (or refusal, or reset) reaches the gateway.
        case answer(attempt: Int)
        /// An attempt Ballast stopped ends.
        case stopped(attempt: Int)
        case timer(request: Int, timer: CallMachine.Timer, generation: Int)
        /// The client stops waiting.
        case deadline(request: Int)
        /// The rule engine's evaluation step, every tick interval.
        case tick
        /// An evaluation between ticks, as the rule controller's thread wakes for one: an
        /// open circuit is due to go half-open, or a probe has answered.
        case ruleWake
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
        var done = false
        /// Ballast's decisions for this request, and its attempts' ids in `attempts` (attempt
        /// n of the machine at n - 1).
        var call: CallMachine?
        var upstreamAttempts: [Int] = []
        /// The region whose slot queue holds it.
        var waitingForSlot: Int?
        /// Bumped to cancel what a timer slot holds.
        var generations: [CallMachine.TimerSlot: Int] = [:]
    }

    /// One request as the upstream saw it (or did not: refused, stalled).
    struct Attempt {
        var request: Int
        var region: Int
        var sentAt: Double
        var status: Int = 0
        var headers = HTTPHeaders()
        /// The connection was refused: the request never reached the upstream.
        var refused = false
        var reset = false
        /// Answered, or stopped by Ballast: nothing more comes of it.
        var ended = false
        var endedAt: Double?
        var permit: ConcurrencyLimit.Permit?
        /// Counted in the rules' attempt windows already: when it ended, or as a failure of
        /// its region when its first byte fell overdue.
        var countedEarly = false
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
    /// Ballast's policies, router and circuits (nil for the unprotected client).
    let proxy: SimulatedGateway?
    /// Attempts sent to each region that have no answer yet.
    var outstanding: [Set<Int>]
    /// Requests waiting for a concurrency slot, per region, first come first served.
    var slotWaiters: [[(request: Int, dispatch: CallMachine.Dispatch)]]
    /// Requests arrived and not yet over: the rules tick while there are any (or arrivals to come).
    var unfinished = 0
    var arrivalsLeft = 0
    /// The times of the `ruleWake` events to come (one event per time).
    var ruleWakes: Set<Double> = []
    static let wallOrigin = SimulatedGateway.wallOrigin

    init(scenario: CapacityScenario, gateway: CapacitySimulation.Gateway, rules: RuleSet) {
        self.scenario = scenario
        self.gateway = gateway
        random = SeededRandom(seed: scenario.seed ^ 0xC0FF_EE00_D15E_A5E5)
        buckets = scenario.groups.map { TokenBucket(capacity: $0.bucket, ratePerSecond: $0.refillPerSecond, now: 0) }
        proxy = gateway == .ballast ? SimulatedGateway(scenario: scenario, rules: rules) : nil
        outstanding = Array(repeating: [], count: scenario.regions.count)
        slotWaiters = Array(repeating: [], count: scenario.regions.count)
    }

    mutating func run() {
        for time in CapacitySimulation.arrivals(scenario) {
            requests.append(Request(arrival: time, deadline: time + scenario.clientTimeout))
        }
        outcome.offered = requests.count
        arrivalsLeft = requests.count
        if proxy != nil { schedule(0, .tick) }
        // Arrivals are taken in order from their list, merged with the heap of everything
        // else (a heap of every arrival made the run three times slower). Bounded: every
        // request ends at its deadline at the latest, and until then it has at most four
        // attempts and two hedges, each with a bounded number of events.
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
        if let proxy { outcome.ruleChanges = proxy.rules.changes }
        outcome.finish()
    }

    mutating func schedule(_ time: Double, _ kind: Event.Kind) {
        sequence += 1
        events.insert(Event(time: time, sequence: sequence, kind: kind))
    }

    mutating func handle(_ event: Event) {
        proxy?.time = event.time
        switch event.kind {
        case .arrival(let request):
            arrivalsLeft -= 1
            unfinished += 1
            switch gateway {
            case .unprotected:
                _ = send(request: request, region: 0, at: event.time)
                schedule(requests[request].deadline, .deadline(request: request))
            case .ballast:
                arrive(request, at: event.time)
            }
        case .answer(let attempt):
            answered(attempt, at: event.time)
        case .stopped(let attempt):
            stopped(attempt, at: event.time)
        case .timer(let request, let timer, let generation):
            guard requests[request].generations[timer.slot, default: 0] == generation else { return }
            drive(request, .timerFired(timer))
        case .deadline(let request):
            guard !requests[request].done else { return }
            switch gateway {
            case .unprotected: markDone(request)
            case .ballast: drive(request, .clientGone)
            }
        case .tick:
            tick(at: event.time, periodic: true)
        case .ruleWake:
            ruleWakes.remove(event.time)
            tick(at: event.time, periodic: false)
        }
    }

    mutating func markDone(_ index: Int) {
        guard !requests[index].done else { return }
        requests[index].done = true
        unfinished -= 1
    }

    // MARK: The upstream

    /// Sends one attempt: the upstream decides at arrival, the answer comes back later (a
    /// stalled region never answers). Returns the attempt's id.
    mutating func send(request index: Int, region: Int, at time: Double) -> Int {
        outcome.attempts += 1
        outcome.attemptTimes.append((time, region))
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
            let overflowedBefore = buckets[group].overflowed
            let admitted = buckets[group].take(1, now: min(arrival, scenario.duration))
            let lost = buckets[group].overflowed - overflowedBefore
            if lost > 0 { outcome.unusedAllowance.append((min(arrival, scenario.duration), lost)) }
            let bucket = buckets[group]
            attempt.headers.add("anthropic-ratelimit-requests-limit", String(Int(scenario.groups[group].perMinute)))
            attempt.headers.add("anthropic-ratelimit-requests-remaining", String(Int(bucket.level.rounded(.down))))
            attempt.headers.add(
                "anthropic-ratelimit-requests-reset",
                RFC3339Timestamp.format(
                    epochSeconds: Self.wallOrigin + min(arrival, scenario.duration) + bucket.secondsUntilFull))
            if !admitted {
                attempt.status = 429
                attempt.headers.add("retry-after", String(Int(max(1, min(60, bucket.secondsUntil(1)).rounded(.up)))))
                answerAt = arrival + 0.01 + oneWay
            } else if let outage {
                attempt.reset = outage.kind == .reset
                attempt.status = outage.kind == .status503 ? 503 : outage.kind == .status529 ? 529 : 0
                answerAt = arrival + (outage.kind == .reset ? 0.05 : 0.02) + oneWay
            } else {
                attempt.status = 200
                answerAt = arrival + config.serviceTime * (0.8 + 0.4 * random.unit()) + oneWay
            }
        }
        attempts.append(attempt)
        let id = attempts.count - 1
        requests[index].upstreamAttempts.append(id)
        outstanding[region].insert(id)
        if let answerAt { schedule(answerAt, .answer(attempt: id)) }
        return id
    }

    static let errorBodies: [Int: String] = [
        429: #"{"type":"error","error":{"type":"rate_limit_error","message":"Number of requests has exceeded your rate limit"}}"#,
        503: #"{"type":"error","error":{"type":"api_error","message":"Service unavailable"}}"#,
        529: #"{"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}}"#,
    ]

    // MARK: The unprotected client

    mutating func answeredDirectly(_ id: Int, at time: Double) {
        let attempt = attempts[id]
        if attempt.status == 429 {
            outcome.upstream429 += 1
            outcome.upstream429Times.append((attempt.sentAt, attempt.region))
        }
        let index = attempt.request
        guard !requests[index].done else { return }
        markDone(index)
        if attempt.status == 200, time <= requests[index].deadline {
            outcome.serve(arrival: requests[index].arrival, latency: time - requests[index].arrival)
        }
    }

    // MARK: Ballast

    mutating func arrive(_ index: Int, at time: Double) {
        guard let proxy else { return }
        proxy.policy.requestStarted(now: proxy.now)
        let deadline = SimulatedGateway.origin.adding(seconds: requests[index].deadline)
        requests[index].call = CallMachine(
            facts: CallMachine.Facts(
                model: "model", method: "POST", path: "/v1/messages", bodyBytes: 200, maxTokens: 64,
                deadline: deadline, replay: .replayable, hedgeAllowed: true),
            settings: CallMachine.Settings(maxBufferedResponseBytes: 1 << 20, maxConcurrencyWait: 5))
        schedule(requests[index].deadline, .deadline(request: index))
        drive(index, .start)
    }

    /// Hands `event` to the request's machine and carries out what it decides.
    mutating func drive(_ index: Int, _ event: CallMachine.Event) {
        // Mutated in place: a copy per event made the sweep several times slower.
        guard let proxy, let actions = requests[index].call?.handle(event, in: proxy) else { return }
        perform(index, actions)
    }

    mutating func perform(_ index: Int, _ actions: [CallMachine.Action]) {
        guard let proxy else { return }
        let now = proxy.time
        for action in actions {
            switch action {
            case .send(let dispatch):
                dispatchAttempt(index, dispatch)
            case .waitForSlot(let dispatch):
                let region = proxy.index(of: dispatch.region.name)
                slotWaiters[region].append((index, dispatch))
                requests[index].waitingForSlot = region
            case .stopWaitingForSlot:
                if let region = requests[index].waitingForSlot { slotWaiters[region].removeAll { $0.request == index } }
                requests[index].waitingForSlot = nil
            case .schedule(let timer, let seconds):
                let generation = requests[index].generations[timer.slot, default: 0] + 1
                requests[index].generations[timer.slot] = generation
                schedule(now + seconds, .timer(request: index, timer: timer, generation: generation))
            case .cancel(let slot):
                requests[index].generations[slot, default: 0] += 1
            case .abandon(let number):
                // The transfer stops now; its end reaches the call as Ballast's own.
                schedule(now, .stopped(attempt: requests[index].upstreamAttempts[number - 1]))
            case .buffer, .hold:
                break
            case .commitBuffered(let number), .commitStream(let number):
                if requests[index].call?.attempt(number).isHedge == true { proxy.policy.hedges.recordWon() }
                if now <= requests[index].deadline { outcome.serve(arrival: requests[index].arrival, latency: now - requests[index].arrival) }
                requestEnded(index, at: now)
            case .relay, .record:
                requestEnded(index, at: now)
            case .fail(let error, _, _):
                if error.type == .rateLimit, requests[index].upstreamAttempts.isEmpty {
                    outcome.refuse(latency: now - requests[index].arrival)
                }
                requestEnded(index, at: now)
            case .note(.firstByteOverdue(let number, _, let answerDue)):
                // As the proxy's driver: the stuck attempt counts against its region now, or
                // when its answer was due if that is old news (`CallPolicy.hasNewsSince`).
                let id = requests[index].upstreamAttempts[number - 1]
                let oldNews = proxy.policy.hasNewsSince(proxy.regions[attempts[id].region].name, sentAt: at(attempts[id].sentAt))
                let end = oldNews ? min(answerDue.seconds(since: SimulatedGateway.origin), now) : now
                releaseSlot(id)
                guard !attempts[id].countedEarly else { break }
                attempts[id].countedEarly = true
                proxy.rules.attempts.record(
                    AttemptRecord(
                        time: Self.wallOrigin + attempts[id].sentAt, region: proxy.regions[attempts[id].region].name,
                        model: SimulatedRules.model, index: number, status: 0, outcome: .local, errorType: "first_byte_overdue",
                        latency: end - attempts[id].sentAt))
            case .note:
                break
            }
        }
    }

    /// As the proxy's driver does: a concurrency slot, then the transfer.
    mutating func dispatchAttempt(_ index: Int, _ dispatch: CallMachine.Dispatch) {
        guard let proxy else { return }
        var permit: ConcurrencyLimit.Permit?
        switch proxy.policy.acquire(region: dispatch.region, now: proxy.now) {
        case .unlimited: break
        case .granted(let granted): permit = granted
        case .atLimit: return drive(index, .atConcurrencyLimit(dispatch))
        }
        guard let actions = requests[index].call?.handle(.sent(dispatch), in: proxy) else { return }
        let id = send(request: index, region: proxy.index(of: dispatch.region.name), at: proxy.time)
        attempts[id].permit = permit
        perform(index, actions)
    }

    mutating func answered(_ id: Int, at time: Double) {
        guard let proxy else { return answeredDirectly(id, at: time) }
        guard !attempts[id].ended else { return }
        attempts[id].ended = true
        attempts[id].endedAt = time
        var attempt = attempts[id]
        outstanding[attempt.region].remove(id)
        if attempt.status == 429 {
            outcome.upstream429 += 1
            outcome.upstream429Times.append((attempt.sentAt, attempt.region))
        }
        let index = attempt.request
        let number = (requests[index].upstreamAttempts.firstIndex(of: id) ?? 0) + 1
        let region = proxy.regions[attempt.region]
        guard let charge = requests[index].call?.attempt(number).charge else { return }
        if !attempt.refused, !attempt.reset { proxy.policy.regionAnswered(region.name, sentAt: at(attempt.sentAt)) }
        var failure: Failure?
        if attempt.refused {
            failure = proxy.policy.judge(error: .connectFailed("connection refused"))
            proxy.policy.refund(paceKey: charge.key, cost: charge.cost, sentAt: at(attempt.sentAt), now: proxy.now)
        } else if attempt.reset {
            failure = proxy.policy.judge(error: .connectionLost("connection reset by peer"))
        } else {
            let body = Array((Self.errorBodies[attempt.status] ?? "").utf8)
            if attempt.status != 200 { failure = proxy.policy.judge(status: attempt.status, headers: attempt.headers, body: body) }
            proxy.policy.answered(
                paceKey: charge.key, region: region, headers: attempt.headers, failure: failure,
                sentAt: at(attempt.sentAt), cost: charge.cost, wallTime: Self.wallOrigin + time, now: proxy.now)
            if attempt.status == 200 {
                proxy.policy.recordFirstByte(
                    key: proxy.policy.key(region: region, model: "model"), seconds: time - attempt.sentAt, now: proxy.now)
            }
            drive(index, .head(attempt: number, status: attempt.status, isEventStream: false, contentLength: 400))
        }
        settlePermit(&attempt, failure: failure, at: time)
        attempts[id] = attempt
        countEnded(id, number: number, failure: failure, at: time)
        drive(index, .completed(attempt: number, failure: failure))
    }

    /// Ballast stopped the attempt (it lost, or the client left): no verdict.
    mutating func stopped(_ id: Int, at time: Double) {
        guard let proxy, !attempts[id].ended else { return }
        attempts[id].ended = true
        attempts[id].endedAt = time
        outstanding[attempts[id].region].remove(id)
        var attempt = attempts[id]
        settlePermit(&attempt, failure: nil, at: time)
        attempts[id] = attempt
        let index = attempt.request
        let number = (requests[index].upstreamAttempts.firstIndex(of: id) ?? 0) + 1
        if let call = requests[index].call, call.committed != number, !call.clientGone { proxy.policy.hedges.recordCancelled() }
        drive(index, .completed(attempt: number, failure: nil))
    }

    /// As the proxy's driver for an overdue attempt: its concurrency slot goes to the region's
    /// next waiter while the attempt itself stays in flight.
    mutating func releaseSlot(_ id: Int) {
        guard let permit = attempts[id].permit else { return }
        permit.ignore()
        attempts[id].permit = nil
        let region = attempts[id].region
        guard !slotWaiters[region].isEmpty else { return }
        let next = slotWaiters[region].removeFirst()
        requests[next.request].waitingForSlot = nil
        drive(next.request, .slotFreed(next.dispatch))
    }

    /// As the proxy's `settle`: timeouts shrink the limit, overload is ignored, an answer's
    /// time to first byte is the sample; the region's next waiter gets the slot.
    mutating func settlePermit(_ attempt: inout Attempt, failure: Failure?, at time: Double) {
        guard let proxy, let permit = attempt.permit else { return }
        attempt.permit = nil
        proxy.policy.attemptEnded(
            region: proxy.regions[attempt.region], seconds: time - attempt.sentAt, failed: failure != nil, now: proxy.now)
        if let failure, failure.signalsOverload {
            permit.ignore()
        } else if attempt.status != 0, failure == nil {
            permit.success(rtt: time - attempt.sentAt)
        } else {
            permit.ignore()
        }
        guard !slotWaiters[attempt.region].isEmpty else { return }
        let next = slotWaiters[attempt.region].removeFirst()
        requests[next.request].waitingForSlot = nil
        drive(next.request, .slotFreed(next.dispatch))
    }

    // MARK: The rules

    /// As the proxy's driver: an attempt the region answered (or refused, or reset) counts in
    /// the rules' attempt windows when it ends, unless Ballast had stopped it.
    mutating func countEnded(_ id: Int, number: Int, failure: Failure?, at time: Double) {
        guard let proxy, !attempts[id].countedEarly, let call = requests[attempts[id].request].call,
            !call.attempt(number).abandoned
        else { return }
        attempts[id].countedEarly = true
        let attempt = attempts[id]
        proxy.rules.attempts.record(
            AttemptRecord(
                time: Self.wallOrigin + attempt.sentAt, region: proxy.regions[attempt.region].name, model: SimulatedRules.model,
                index: number, status: attempt.status, outcome: failure?.outcome ?? .success,
                errorType: failure?.errorType, hedge: call.attempt(number).isHedge, latency: time - attempt.sentAt,
                timeToFirstByte: attempt.status == 0 ? nil : time - attempt.sentAt))
        if call.attempt(number).isProbe { wakeRules(at: time) }
    }

    /// An evaluation at `time` besides the periodic ticks (`RuleController.probeAnswered` and
    /// the wake at a circuit's half-open moment).
    mutating func wakeRules(at time: Double) {
        guard ruleWakes.insert(time).inserted else { return }
        schedule(time, .ruleWake)
    }

    /// The request is over: as the proxy's outcome sink, every attempt goes to the rules'
    /// attempt windows (those Ballast cancelled and those counted already are skipped there).
    mutating func requestEnded(_ index: Int, at time: Double) {
        guard let proxy, !requests[index].done, let call = requests[index].call else { return }
        markDone(index)
        for (offset, id) in requests[index].upstreamAttempts.enumerated() {
            let state = call.attempt(offset + 1)
            let attempt = attempts[id]
            var record = AttemptRecord(
                time: Self.wallOrigin + attempt.sentAt, region: proxy.regions[attempt.region].name, model: SimulatedRules.model,
                index: offset + 1, status: attempt.status,
                outcome: state.failure?.outcome ?? (state.abandoned ? .ballast : .success), hedge: state.isHedge,
                cancelled: state.abandoned, latency: (attempt.endedAt ?? time) - attempt.sentAt,
                timeToFirstByte: attempt.status == 0 || attempt.endedAt == nil ? nil : attempt.endedAt.map { $0 - attempt.sentAt })
            record.countedEarly = attempt.countedEarly
            proxy.rules.attempts.record(record)
        }
    }

    /// One evaluation step, as the rule controller's thread runs it; a region whose circuit
    /// opened tells the calls stuck there. After a `periodic` one the next follows while
    /// requests remain; an open circuit due to go half-open before it gets a step of its own.
    mutating func tick(at time: Double, periodic: Bool) {
        guard let proxy else { return }
        let shortage = CapacityShortage(
            regions: Set(proxy.regions.map(\.name).filter { proxy.policy.isCapacityShort(region: $0, now: proxy.now) }))
        if periodic {
            outcome.waiting.append((time, proxy.policy.pacer.snapshot(now: proxy.now).reduce(0) { $0 + $1.waiting }))
        }
        let (out, back) = proxy.rules.tick(at: proxy.ruleTime, simulated: time, shortage: shortage, router: proxy.router)
        for name in back {
            // As the proxy's `CallsInFlight.regionCameBack`: the calls waiting for a paced slot,
            // the longest waiting first.
            let waiting = requests.indices.compactMap { index -> (Int, MonotonicInstant)? in
                guard !requests[index].done, let wait = requests[index].call?.pacedWait else { return nil }
                return (index, wait.due)
            }
            for (index, _) in waiting.sorted(by: { ($0.1, $0.0) < ($1.1, $1.0) }) { drive(index, .regionBack(name)) }
        }
        for name in out {
            proxy.policy.regionWentOut(name, now: proxy.now)
            let region = proxy.index(of: name)
            for stuck in outstanding[region].sorted() where !attempts[stuck].ended {
                drive(attempts[stuck].request, .regionOut(name))
            }
        }
        guard unfinished > 0 || arrivalsLeft > 0 else { return }
        let next = time + proxy.rules.ruleSet.tickInterval.seconds
        if periodic { schedule(next, .tick) }
        if let deadline = proxy.rules.engine.nextCircuitDeadline?.seconds(since: SimulatedGateway.origin), deadline > time,
            deadline < next
        {
            wakeRules(at: deadline)
        }
    }

    func at(_ time: Double) -> MonotonicInstant { SimulatedGateway.origin.adding(seconds: time) }
}
