public import BallastConfig
public import BallastCore
public import Resilience
public import SharedState
import Synchronization
public import Upstream

/// The decisions a `ProxiedCall` asks for, in one place: how to judge an answer, whether and
/// when to try again, whether to send now, when to hedge. The call does the I/O; the
/// policies from the Resilience module decide, each a clock-driven state machine.
public final class CallPolicy: Sendable {
    let retry: RetryConfig
    let hedgeSettings: HedgeConfig
    let pacingEnabled: Bool
    let concurrencyEnabled: Bool
    let classifier = FailureClassifier()
    let budget: RetryBudget
    /// The reserve for hedging stragglers (see `mayHedgeStraggler`).
    let stragglerBudget: RetryBudget
    package let pacer: RatePacer
    /// The organisation-wide allowance shared through Redis; nil when running alone.
    let shared: SharedAllowance?
    public let hedges: HedgePolicy
    private let backoff: Mutex<Backoff<SeededRandom>>
    private let limits: [String: ConcurrencyLimit]
    /// Per region: how long attempts hold their slot, and the floor it gives the limit.
    private let holds: [String: SlotHold]
    /// Per region, when its state was last learned anew (`hasNewsSince`).
    private let news: [String: NewsMark]
    let regions: [Region]
    /// The distinct limit groups of the configured regions, in configuration order.
    private let limitGroups: [String]
    let counters = PolicyCounters()
    /// Per pacing key: which regions answered headerless 429s lately (`ThrottleWitness`).
    private let throttles = Mutex<[String: ThrottleWitness]>([:])

    public init(
        retry: RetryConfig, hedge: HedgeConfig, pacing: PacingConfig, concurrency: ConcurrencyConfig,
        regions: [Region], now: MonotonicInstant, seed: UInt64 = 0x5EED, shared: SharedAllowance? = nil
    ) {
        self.shared = shared
        self.regions = regions
        var seen = Set<String>()
        limitGroups = regions.map(\.limitGroup).filter { seen.insert($0).inserted }
        self.retry = retry
        hedgeSettings = hedge
        pacingEnabled = pacing.enabled
        concurrencyEnabled = concurrency.enabled
        budget = RetryBudget(ratio: retry.budgetRatio, minRetriesPerSecond: retry.budgetMinPerSecond, now: now)
        // With a shared allowance, other instances spend the same bucket (see `followsRemaining`).
        pacer = RatePacer(
            settings: RateAllowance.Settings(followsRemaining: shared == nil),
            maxWaiting: pacing.maxWaiting, maxWait: pacing.maxWait.seconds)
        // A tenth of the hedge budget (at most 0.5 % of requests) is kept for stragglers, so the
        // total stays within `max_extra_ratio`.
        let reserve = min(0.005, hedge.maxExtraRatio / 10)
        hedges = HedgePolicy(
            settings: HedgePolicy.Settings(
                quantile: hedge.quantile, minSamples: hedge.minSamples,
                maxExtraRatio: hedge.maxExtraRatio - reserve))
        // With a floor of one copy per 5 s, starting full: the budget is a share of the
        // requests seen, so a gateway that has just started has next to none. Not measured to
        // help: in the tail bench a slow answer 1.6 s into the run was copied only at 0.62 s
        // both without the floor and with it (its delay then came from a few cold-start
        // samples, not from a spent budget).
        stragglerBudget = RetryBudget(ratio: reserve, minRetriesPerSecond: 0.2, capacity: 10, now: now)
        backoff = Mutex(
            Backoff(
                base: retry.backoffBase.seconds, cap: retry.backoffCap.seconds, maxRetryAfter: retry.maxRetryAfter.seconds,
                generator: SeededRandom(seed: seed)))
        var limits: [String: ConcurrencyLimit] = [:]
        for region in regions {
            limits[region.name] = ConcurrencyLimit(
                settings: ConcurrencyLimit.Settings(
                    initialLimit: concurrency.initial, minLimit: concurrency.min, maxLimit: concurrency.max))
        }
        self.limits = limits
        holds = Dictionary(uniqueKeysWithValues: regions.map { ($0.name, SlotHold()) })
        news = Dictionary(uniqueKeysWithValues: regions.map { ($0.name, NewsMark()) })
    }

    /// `region` answered (any status: an answer is not a stall) an attempt sent at `sentAt`.
    public func regionAnswered(_ region: String, sentAt: MonotonicInstant) {
        news[region]?.raise(to: sentAt)
    }

    /// `region`'s circuit opened at `now`: what was sent to it before is accounted for.
    public func regionWentOut(_ region: String, now: MonotonicInstant) {
        news[region]?.raise(to: now)
    }

    /// True when `region`'s state has been learned anew since `sentAt`: it answered an attempt
    /// sent later (whatever held one sent then is over), or its circuit opened since (for the
    /// failures of that time). A stuck attempt falling overdue is then old news, not a failure
    /// of the region now. An attempt stuck in a stall that ended falls overdue long after (five
    /// usual times to first byte: 11 s for a region answering in 2 s): counted as news, such
    /// attempts opened a region that had been answering for 9 s, and failed the probes of its
    /// half-open circuit (capacity simulation, seed 120).
    public func hasNewsSince(_ region: String, sentAt: MonotonicInstant) -> Bool {
        news[region].map { $0.latest > sentAt } ?? false
    }

    /// The key hedging learns per: a region's time to first byte differs by model.
    public func key(region: Region, model: String?) -> String { "\(region.name)|\(model ?? "-")" }

    /// The key pacing learns per: limits belong to a credential (the region's limit group)
    /// and a model class, not to a region.
    public func paceKey(region: Region, model: String?) -> String { "\(region.limitGroup)|\(model ?? "-")" }

    /// Every pacing key that can serve `model`: the whole allowance of the credential, regions
    /// that are out included (their capacity comes back).
    public func pacePool(model: String?) -> [String] {
        limitGroups.map { "\($0)|\(model ?? "-")" }
    }

    // MARK: Judging

    public func judge(status: Int, headers: HTTPHeaders, body: [UInt8]) -> Failure {
        classifier.classify(status: status, headers: headers, bodyPrefix: body)
    }

    public func judge(error: UpstreamError) -> Failure {
        classifier.classify(transport: Self.transport(error))
    }

    public func judge(streamError data: String) -> Failure {
        classifier.classify(streamErrorData: Array(data.utf8))
    }

    static func transport(_ error: UpstreamError) -> TransportFailure {
        switch error {
        case .connectFailed: .connectFailed
        case .connectTimeout: .connectTimeout
        case .firstByteTimeout: .firstByteTimeout
        case .idleTimeout: .idleTimeout
        case .totalTimeout: .totalTimeout
        case .connectionLost, .transport, .cancelled: .connectionLost
        }
    }

    // MARK: Retrying

    /// Counts a new client request toward the retry and hedge budgets.
    public func requestStarted(now: MonotonicInstant) {
        budget.recordRequest()
        hedges.recordRequest(now: now)
        stragglerBudget.recordRequest()
    }

    /// Seconds to wait before attempt number `next`, or nil to stop trying.
    ///
    /// A request that never reached the upstream (connection refused, connect timeout) and
    /// has a region left untried fails over at once and outside the budget: that is routing
    /// around a dead region, one attempt per request, not a retry storm against it. Other
    /// retries to an untried region also skip the budget (after at most 50 ms).
    public func retryDelay(
        after failure: Failure, nextAttempt next: Int, remaining: Double, untriedRegionLeft: Bool,
        now: MonotonicInstant
    ) -> Double? {
        guard failure.retryable, next <= retry.maxAttempts, remaining > 0 else { return nil }
        if failure.requestNeverSent, untriedRegionLeft { return 0 }
        // A retry on another region adds no load to the failing one (the budget's purpose);
        // it goes at once. Retries against the same region stay under the budget.
        if untriedRegionLeft {
            return backoff.withLock { $0.delay(attempt: 0, retryAfter: nil, remaining: remaining) }.map { min($0, 0.05) }
        }
        guard budget.tryWithdraw(now: now) else {
            counters.budgetRefusals.add(1, ordering: .relaxed)
            return nil
        }
        return backoff.withLock { $0.delay(attempt: next - 2, retryAfter: failure.retryAfter, remaining: remaining) }
    }

    // MARK: Admission

    /// Whether an attempt may go now, after a wait (the slot is reserved), or not, and what it
    /// was charged.
    public func admit(_ request: RatePacer.Request, now: MonotonicInstant) -> RatePacer.Grant {
        guard pacingEnabled else { return RatePacer.Grant(admission: .now, cost: .zero, oversubscribed: false) }
        guard let shared else { return pacer.admit(request, now: now) }
        return admitShared(shared, request, now: now)
    }

    /// What `admit` would answer, reserving nothing: for weighing regions before choosing one.
    public func peekAdmission(_ request: RatePacer.Request, now: MonotonicInstant) -> RateQueue.Admission {
        pacingEnabled ? pacer.peek(request, now: now) : .now
    }

    /// What the adaptive concurrency limit says about one more attempt to `region`.
    public enum PermitDecision {
        case unlimited
        case granted(ConcurrencyLimit.Permit)
        case atLimit
    }

    public func acquire(region: Region, now: MonotonicInstant) -> PermitDecision {
        guard concurrencyEnabled, let limit = limits[region.name] else { return .unlimited }
        guard let permit = limit.tryAcquire(now: now, floor: holds[region.name]?.floor ?? 0) else { return .atLimit }
        return .granted(permit)
    }

    /// True when `region` could take one more attempt now without waiting for a slot.
    public func hasConcurrencyRoom(region: Region) -> Bool {
        guard concurrencyEnabled, let limit = limits[region.name] else { return true }
        return limit.hasRoom(floor: holds[region.name]?.floor ?? 0)
    }

    /// An attempt to `region` ended after holding its concurrency slot for `seconds`.
    ///
    /// The adaptive limit may not bind below what the rate allowance pays for: by Little's
    /// law, a group allowed R requests a second whose attempts last T seconds keeps R x T in
    /// flight. LLM answers take seconds, and the limit alone (20 at first, growing 0.8 a
    /// window) put Ballast below a plain client on 209 of 300 random seeds of the capacity
    /// simulation (worst -93 %). The floor is R x T x 1.5 (bursts of the bucket above the
    /// average rate), computed here, off the path that takes slots: one more read of the
    /// pacer under its lock per attempt, beside the ones `answered` and `usageKnown` make.
    /// (Computing it at most once a second was tried: the lag at start-up made the capacity
    /// simulation's worst seed fall from -34 % to -43 % against no gateway.)
    ///
    /// A `failed` attempt leaves the average alone: a region answering 503 in 15 ms brought it
    /// from 0.3 s to 0.02 s within a second of an outage, so the floor fell from 36 to 3, and
    /// once the region recovered the adaptive limit alone (about 20 slots, 67 req/s at 0.3 s)
    /// bound it below its 80 req/s for a second while the standby's backlog waited (the
    /// capacity simulation's region-down scenario). What the floor is for is the time a served
    /// attempt holds its slot.
    public func attemptEnded(region: Region, seconds: Double, failed: Bool = false, now: MonotonicInstant) {
        guard concurrencyEnabled, let hold = holds[region.name], seconds.isFinite, seconds >= 0 else { return }
        if failed { return }
        let average = hold.record(seconds)
        guard pacingEnabled, let rate = pacer.allowanceRate(group: region.limitGroup, now: now) else { return }
        hold.floor = Int((rate * average * 1.5).rounded(.up))
    }

    /// Learns from every answer the upstream gave (429s included): its rate-limit headers,
    /// and whether it was a 429. Headers that cannot be true are counted by reason.
    public func answered(
        paceKey: String, region: Region, headers: HTTPHeaders, failure: Failure?, sentAt: MonotonicInstant,
        cost: RequestCost, wallTime: Double, now: MonotonicInstant
    ) {
        guard pacingEnabled else { return }
        var rateLimited = failure?.isRateLimited == true
        let limits = RateLimitHeaders(headers)
        if rateLimited, limits.isEmpty {
            // Without headers, only 429s from every region of the group are the group's limit.
            let group = Set(regions.filter { $0.limitGroup == region.limitGroup }.map(\.name))
            let groupWide = throttles.withLock { witnesses in
                witnesses[paceKey, default: ThrottleWitness()].headerless429(region: region.name, group: group, now: now)
            }
            if !groupWide {
                counters.regionalThrottles.add(1, ordering: .relaxed)
                rateLimited = false
            }
        }
        let answer = RateAllowance.Answer(
            limits: limits, rateLimited: rateLimited,
            retryAfter: failure?.retryAfter, sentAt: sentAt, cost: cost)
        let verdict = pacer.record(paceKey, answer: answer, wallTime: wallTime, now: now)
        if case .untrusted(let reason) = verdict { counters.untrustedHeaders(reason) }
        if rateLimited {
            shared?.rateLimited(
                paceKey, retryAfter: failure?.retryAfter, explained: RateAllowance.explains(answer, verdict: verdict),
                now: now)
        }
    }

    /// An attempt that never reached the upstream gives its share back.
    public func refund(paceKey: String, cost: RequestCost, sentAt: MonotonicInstant, now: MonotonicInstant) {
        guard pacingEnabled else { return }
        pacer.refund(paceKey, cost: cost, sentAt: sentAt, now: now)
    }

    /// A paced reservation may be sent now (`RatePacer.sendEarly`).
    public func sendEarly(paceKey: String, cost: RequestCost, due: MonotonicInstant, now: MonotonicInstant) -> Bool {
        pacingEnabled && pacer.sendEarly(paceKey, cost: cost, due: due, now: now)
    }

    /// A paced reservation that will not be used goes back (the request went elsewhere), and
    /// so does its entry in the allowance's log, by the slot it reserved (`PacingCharge.due`).
    public func release(paceKey: String, cost: RequestCost, due: MonotonicInstant? = nil, now: MonotonicInstant) {
        guard pacingEnabled else { return }
        pacer.refund(paceKey, cost: cost, sentAt: due, now: now)
    }

    /// An attempt that reached the upstream has ended: pacing settles its output estimate
    /// against the real output (nil when it is not known).
    public func attemptSettled(paceKey: String, charged: RequestCost, outputTokens: Int?, maxTokens: Int?, now: MonotonicInstant) {
        guard pacingEnabled else { return }
        pacer.recordUsage(paceKey, charged: charged, outputTokens: outputTokens, maxTokens: maxTokens, now: now)
    }

    /// True when requests wait for `region`'s rate allowance or demand is above it: a hedge there
    /// would spend a request's share. (A full concurrency limit is not counted: with it, the
    /// tail bench's stalls, which hold slots, kept every hedge from going; p99.9 0.33x -> 0.53x.)
    public func isAllowanceShort(region: Region, now: MonotonicInstant) -> Bool {
        pacingEnabled && pacer.isShort(group: region.limitGroup, now: now)
    }

    /// True when `region` cannot take more now: requests wait for its allowance, demand is
    /// above it, or its concurrency limit is reached. Read by the rules at each tick for
    /// capacity-aware failback.
    public func isCapacityShort(region name: String, now: MonotonicInstant) -> Bool {
        guard let region = regions.first(where: { $0.name == name }) else { return false }
        if concurrencyEnabled, let limit = limits[name], !limit.hasRoom(floor: holds[name]?.floor ?? 0) { return true }
        return pacingEnabled && pacer.isShort(group: region.limitGroup, now: now)
    }

    // MARK: Hedging

    public func hedgeDelay(key: String, model: String?, now: MonotonicInstant) -> Double? {
        guard hedgeSettings.enabled, !isHedgeDisabled(model: model) else { return nil }
        return hedges.hedgeDelay(key, pool: Self.hedgePool(of: key), now: now)
    }

    /// An answer's time to first byte, for `key` (`key(region:model:)`) and its model's pool.
    public func recordFirstByte(key: String, seconds: Double, now: MonotonicInstant) {
        hedges.recordFirstByte(key, pool: Self.hedgePool(of: key), seconds: seconds, now: now)
    }

    /// The model's samples in every region: `key` is `region|model`.
    static func hedgePool(of key: String) -> String {
        key.firstIndex(of: "|").map { "*" + key[$0...] } ?? key
    }

    /// The share of the hedge budget a request may not take at the hedge delay itself: it is
    /// kept for a second look 0.15 of a delay later (`CallMachine.secondLook`), when the
    /// requests still waiting are mostly the slow ones. Hedging at the p95 spends the whole
    /// budget on average, half of it on answers that come within a few milliseconds anyway (tail
    /// bench: 39 of 75 hedges lost, most by under 40 ms), and the slow answers it refused were
    /// hedged only at 2.5 delays (1.0-1.1 s, p99.9 0.33x the unprotected path's).
    static let hedgeSpareAtDelay = 0.3

    /// At the hedge delay (`atDelay`) or at the second look.
    public func mayHedge(atDelay: Bool, now: MonotonicInstant) -> Bool {
        hedges.tryHedge(now: now, spare: atDelay ? Self.hedgeSpareAtDelay : 0)
    }

    /// The hedge quantile of `key`'s recent times to first byte, whether hedging is on or not:
    /// what "overdue" is measured against (`CallMachine.Note.firstByteOverdue`).
    public func usualFirstByte(key: String, now: MonotonicInstant) -> Double? {
        hedges.hedgeDelay(key, pool: Self.hedgePool(of: key), now: now)
    }

    /// A request still without a first byte at the second look is a straggler (slow, or
    /// stalled): it may take the whole hedge budget, or a small reserve of its own (a tenth of
    /// requests; 0.5 % by default, out of `max_extra_ratio`) when the hedges have spent the
    /// rest, so stalls are never the ones left unhedged.
    public func mayHedgeStraggler(now: MonotonicInstant) -> Bool {
        if mayHedge(atDelay: false, now: now) { return true }
        return stragglerBudget.tryWithdraw(now: now)
    }

    private func isHedgeDisabled(model: String?) -> Bool {
        guard let model else { return false }
        return hedgeSettings.disabledModels.contains { Glob.matches($0, model) }
    }

    // MARK: State for metrics and the control API

    package func concurrencySnapshots() -> [(String, ConcurrencyLimit.Snapshot)] {
        limits.sorted { $0.key < $1.key }.map { ($0.key, $0.value.snapshot) }
    }
}

/// Counters of policy decisions that no single request owns.
/// How long one region's attempts hold their concurrency slot (a moving average), and the
/// least the concurrency limit must allow for the rate allowance to be used (`attemptEnded`).
final class SlotHold: Sendable {
    private let averageBits = Atomic<UInt64>(0)
    private let floorValue = Atomic<Int>(0)

    var floor: Int {
        get { floorValue.load(ordering: .relaxed) }
        set { floorValue.store(newValue, ordering: .relaxed) }
    }

    /// Folds in one attempt's seconds (weight 0.1) and returns the new average. Attempts end on
    /// the loop thread only, so a load and a store do not lose an update.
    func record(_ seconds: Double) -> Double {
        let old = Double(bitPattern: averageBits.load(ordering: .relaxed))
        let average = old == 0 ? seconds : old * 0.9 + seconds * 0.1
        averageBits.store(average.bitPattern, ordering: .relaxed)
        return average
    }
}

/// When one region's state was last learned anew (`CallPolicy.hasNewsSince`). Answers and
/// circuit news arrive on the loop thread only, so a load and a store do not lose an update.
final class NewsMark: Sendable {
    private let nanoseconds = Atomic<UInt64>(0)

    var latest: MonotonicInstant { MonotonicInstant(nanoseconds: nanoseconds.load(ordering: .relaxed)) }

    func raise(to sentAt: MonotonicInstant) {
        if sentAt.nanoseconds > nanoseconds.load(ordering: .relaxed) { nanoseconds.store(sentAt.nanoseconds, ordering: .relaxed) }
    }
}

final class PolicyCounters: Sendable {
    let budgetRefusals = Atomic<Int>(0)
    /// Ballast's own 429s: the wait would pass the request's deadline or the queue's bound.
    let pacingRejections = Atomic<Int>(0)
    /// Ballast's own 429s refused at once because demand exceeds the whole allowance.
    let oversubscribedRejections = Atomic<Int>(0)
    let concurrencyRejections = Atomic<Int>(0)
    /// Headerless 429s from one region of a limit group that the others did not share: not
    /// taken as the group's limit (`ThrottleWitness`).
    let regionalThrottles = Atomic<Int>(0)
    /// Answers whose rate-limit headers could not be true, by reason (a handful of fixed values).
    let untrustedHeaderCounts = Mutex<[String: Int]>([:])

    func untrustedHeaders(_ reason: String) {
        untrustedHeaderCounts.withLock { $0[reason, default: 0] += 1 }
    }
}
