public import BallastCore
import Synchronization

/// One `RateQueue` per pacing key (a limit group and a model) behind one lock: what the
/// gateway holds. Regions that share a credential share its limits (the API limits an
/// organisation, not a region), so they share a key and one queue.
///
/// Besides pacing each key, the pacer decides how long a request may wait:
/// - never past its own deadline: the wait plus the key's usual time to an answer must fit
///   in the seconds the request has left (`Request.deadline`);
/// - only briefly when the demand for a model exceeds the whole allowance of every key that
///   serves it (`Request.pool`, regions whose circuits are open included: their capacity
///   comes back) for longer than a burst (`DemandBacklog`). A queue fed faster than it
///   drains only grows, and every request in it waits the longest wait allowed, so past
///   `standingWait` the excess is refused at once with a true `retry-after` instead. A burst
///   still waits, and so does demand that only a region that is out cannot carry.
///
/// Keys come from clients (the model name), so their number is bounded: past `maxKeys` the
/// least recently used key is forgotten (it starts again as unknown).
///
/// Call sequence per attempt: `admit(_:now:)` → send now, after the reserved wait, or answer
/// 429 with the `retryAfter`; when the answer's head arrives, `record(...)`; when the answer's
/// usage is known, `recordUsage(...)`.
public final class RatePacer: Sendable {
    /// One key's state, for `/metrics` and the control API.
    public struct Snapshot: Sendable, Equatable {
        public var key: String
        /// The AIMD allowance, requests per second; nil = not limited by AIMD.
        public var rate: Double?
        /// The rate pacing applies now.
        public var effectiveRate: Double?
        public var announcedLimit: Double?
        /// The request bucket's learned size.
        public var learnedCapacity: Double?
        /// The share of `max_tokens` answers use, learned from their usage (nil until one is
        /// known): what an output-token limit is paced with.
        public var outputShare: Double?
        public var headersTrusted: Bool
        public var waiting: Int
    }

    /// One attempt asking to be sent.
    public struct Request: Sendable {
        public var key: String
        /// Every pacing key that can serve this request's model; nil = this key alone.
        public var pool: [String]?
        /// The demand this request counts toward (its model); nil for retries and hedges,
        /// which are not new demand.
        public var demand: String?
        public var bodyBytes: Int
        public var maxTokens: Int?
        /// Seconds left until the request's deadline; nil = no deadline but `maxWait`.
        public var deadline: Double?

        public init(
            key: String, pool: [String]? = nil, demand: String? = nil, bodyBytes: Int = 0,
            maxTokens: Int? = nil, deadline: Double? = nil
        ) {
            self.key = key
            self.pool = pool
            self.demand = demand
            self.bodyBytes = bodyBytes
            self.maxTokens = maxTokens
            self.deadline = deadline
        }
    }

    /// What `admit` decided and what it charged (to be refunded by `recordUsage`).
    public struct Grant: Sendable, Equatable {
        public var admission: RateQueue.Admission
        public var cost: RequestCost
        /// True when the wait allowed was cut short because demand exceeds the allowance.
        public var oversubscribed: Bool

        public init(admission: RateQueue.Admission, cost: RequestCost = .zero, oversubscribed: Bool = false) {
            self.admission = admission
            self.cost = cost
            self.oversubscribed = oversubscribed
        }
    }

    private struct Entry {
        var queue: RateQueue
        var lastUsed: MonotonicInstant
        /// A moving average of the seconds from sending to the answer's head.
        var serviceTime: Double?
    }

    private struct State {
        var entries: [String: Entry] = [:]
        var demand: [String: DemandBacklog] = [:]
    }

    public let settings: RateAllowance.Settings
    public let maxWaiting: Int
    public let maxWait: Double
    public let maxKeys: Int
    /// The longest wait while demand exceeds the allowance. 50 ms keeps a few requests in
    /// line (at 150 req/s, seven), enough that the bucket never idles between them.
    public let standingWait: Double
    /// A burst may queue up to what the buckets hold plus this many seconds of the whole
    /// allowance before the excess is refused at once (`DemandBacklog`). 5 s, because the
    /// first seconds of a burst and of a sustained excess look alike: the `ratelimit_burst`
    /// bench's 5 s surges to 2x the limit must wait (with 2 s, a quarter of its requests got
    /// Ballast's own 429), while a sustained 1.67x excess is refused from about its ninth
    /// second on and the queue built till then drains in the next six.
    public static let burstTolerance = 5.0
    private let state = Mutex(State())

    public init(
        settings: RateAllowance.Settings = RateAllowance.Settings(), maxWaiting: Int = 100,
        maxWait: Double = 10, maxKeys: Int = 1024, standingWait: Double = 0.05
    ) {
        self.settings = settings
        self.maxWaiting = maxWaiting
        self.maxWait = maxWait
        self.maxKeys = max(1, maxKeys)
        self.standingWait = standingWait
    }

    /// Admits an attempt (see the type's notes), reserving its slot when it must wait.
    public func admit(_ request: Request, now: MonotonicInstant) -> Grant {
        decide(request, now: now, reserve: true)
    }

    /// As `admit` for a bare key, with no deadline and no demand.
    public func admit(_ key: String, now: MonotonicInstant) -> RateQueue.Admission {
        admit(Request(key: key), now: now).admission
    }

    /// What `admit` would answer, reserving and counting nothing (see `RateQueue.peek`).
    public func peek(_ request: Request, now: MonotonicInstant) -> RateQueue.Admission {
        var quiet = request
        quiet.demand = nil
        return decide(quiet, now: now, reserve: false).admission
    }

    public func peek(_ key: String, now: MonotonicInstant) -> RateQueue.Admission {
        peek(Request(key: key), now: now)
    }

    /// Learns from one answer's head; returns what its rate-limit headers were worth.
    @discardableResult
    public func record(
        _ key: String, answer: RateAllowance.Answer, wallTime: Double,
        now: MonotonicInstant
    ) -> RateAllowance.HeaderVerdict {
        update(key, now: now) { entry in
            let seconds = max(0, now.seconds(since: answer.sentAt))
            // A tenth of the way per answer: steady under jitter, yet a region that slows
            // down moves the figure within a few dozen answers.
            entry.serviceTime = entry.serviceTime.map { $0 * 0.9 + seconds * 0.1 } ?? seconds
            return entry.queue.allowance.record(answer, wallTime: wallTime, now: now)
        }
    }

    /// An attempt sent to `key` has ended: its real output (nil when not known) settles the
    /// estimate charged at admission (see `RateAllowance.recordUsage`).
    public func recordUsage(_ key: String, charged: RequestCost, outputTokens: Int?, maxTokens: Int?, now: MonotonicInstant) {
        update(key, now: now) { $0.queue.allowance.recordUsage(charged: charged, outputTokens: outputTokens, maxTokens: maxTokens) }
    }

    /// An attempt that never reached the upstream: its share goes back (see
    /// `RateAllowance.refund`).
    public func refund(_ key: String, cost: RequestCost, sentAt: MonotonicInstant? = nil, now: MonotonicInstant) {
        update(key, now: now) { entry in
            entry.queue.allowance.refund(cost, sentAt: sentAt)
            if let sentAt, sentAt > now { entry.queue.release(due: sentAt) }
        }
    }

    /// A waiting request's reservation (due at `due`) goes now, if every reservation ahead of
    /// it is paid (`RateQueue.sendEarly`).
    public func sendEarly(_ key: String, cost: RequestCost, due: MonotonicInstant, now: MonotonicInstant) -> Bool {
        update(key, now: now) { $0.queue.sendEarly(due: due, cost: cost, now: now) }
    }

    /// True when requests of any model of `group` wait for allowance now, or were refused
    /// at once for demand above it: the group's regions are at their allowance.
    public func isShort(group: String, now: MonotonicInstant) -> Bool {
        let prefix = group + "|"
        return state.withLock { state in
            for key in state.entries.keys where key.hasPrefix(prefix) {
                guard var entry = state.entries.removeValue(forKey: key) else { continue }
                let waiting = entry.queue.waiting(now: now)
                state.entries[key] = entry
                if waiting > 0 { return true }
            }
            return state.demand.values.contains { $0.lastOversubscribed.map { now.seconds(since: $0) < 1 } ?? false }
        }
    }

    /// Requests per second the allowances of `group`'s keys pay for now, together; nil while
    /// none is known (no headers yet, or an upstream that sends none and never said 429).
    public func allowanceRate(group: String, now: MonotonicInstant) -> Double? {
        let prefix = group + "|"
        return state.withLock { state in
            let rates = state.entries.compactMap { key, entry in
                // The announced refill rate with headers, the AIMD rate without them.
                key.hasPrefix(prefix) ? entry.queue.allowance.effectiveRate(now: now) ?? entry.queue.allowance.announcedLimit : nil
            }
            return rates.isEmpty ? nil : rates.reduce(0, +)
        }
    }

    /// The limit the upstream announced for `key` (requests per second); nil while unknown.
    /// The shared allowance sizes the organisation-wide bucket from it.
    public func announcedLimit(_ key: String) -> Double? {
        state.withLock { $0.entries[key]?.queue.allowance.announcedLimit }
    }

    public func snapshot(now: MonotonicInstant) -> [Snapshot] {
        state.withLock { state in
            state.entries.keys.sorted().compactMap { key in
                guard var entry = state.entries.removeValue(forKey: key) else { return nil }
                let waiting = entry.queue.waiting(now: now)
                state.entries[key] = entry
                let allowance = entry.queue.allowance
                return Snapshot(
                    key: key, rate: allowance.learnedRate, effectiveRate: allowance.effectiveRate(now: now),
                    announcedLimit: allowance.announcedLimit, learnedCapacity: allowance.learnedCapacity,
                    outputShare: allowance.outputRatioLearned ? allowance.outputRatio : nil, headersTrusted: allowance.headersTrusted, waiting: waiting)
            }
        }
    }

    // MARK: - Inside the lock

    private func decide(_ request: Request, now: MonotonicInstant, reserve: Bool) -> Grant {
        state.withLock { state in
            var oversubscribed = false
            if let demand = request.demand, let supply = Self.supply(of: request.pool ?? [request.key], in: state) {
                oversubscribed = Self.countDemand(
                    demand, in: &state, supply: supply.rate, stored: supply.stored, now: now,
                    maxKeys: maxKeys)
            }
            return Self.update(
                request.key, in: &state, now: now, settings: settings, maxKeys: maxKeys,
                maxWaiting: maxWaiting, maxWait: maxWait
            ) { entry in
                var allowed = maxWait
                if let deadline = request.deadline { allowed = min(allowed, deadline - (entry.serviceTime ?? 0)) }
                if oversubscribed { allowed = min(allowed, standingWait) }
                let cost = entry.queue.allowance.estimate(bodyBytes: request.bodyBytes, maxTokens: request.maxTokens)
                let admission =
                    reserve
                    ? entry.queue.admit(now: now, cost: cost, maxWait: max(0, allowed))
                    : entry.queue.peek(now: now, cost: cost, maxWait: max(0, allowed))
                return Grant(admission: admission, cost: cost, oversubscribed: oversubscribed)
            }
        }
    }

    /// Counts a new request toward its model's backlog; true when that backlog says the
    /// demand exceeds the allowance for longer than a burst.
    private static func countDemand(
        _ key: String, in state: inout State, supply: Double, stored: Double,
        now: MonotonicInstant, maxKeys: Int
    ) -> Bool {
        var backlog = state.demand.removeValue(forKey: key) ?? DemandBacklog(now: now)
        if state.demand.count >= maxKeys, let oldest = state.demand.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
            state.demand[oldest.key] = nil
        }
        backlog.add(now: now, supply: supply, stored: stored, tolerance: burstTolerance)
        let oversubscribed = backlog.isOversubscribed(supply: supply, stored: stored, tolerance: burstTolerance)
        if oversubscribed { backlog.lastOversubscribed = now }
        state.demand[key] = backlog
        return oversubscribed
    }

    /// The requests per second all the keys of a pool allow together (each counted once), and
    /// what their request buckets hold when full; nil while any of them is unlimited or not
    /// known yet.
    private static func supply(of pool: [String], in state: State) -> (rate: Double, stored: Double)? {
        var rate = 0.0, stored = 0.0
        var seen = Set<String>()
        for key in pool where seen.insert(key).inserted {
            guard let supply = state.entries[key]?.queue.allowance.supply else { return nil }
            rate += supply.rate
            stored += supply.stored
        }
        return (rate, stored)
    }

    private func update<T: Sendable>(_ key: String, now: MonotonicInstant, _ body: (inout Entry) -> T) -> T {
        state.withLock { state in
            Self.update(
                key, in: &state, now: now, settings: settings, maxKeys: maxKeys, maxWaiting: maxWaiting,
                maxWait: maxWait, body)
        }
    }

    private static func update<T: Sendable>(
        _ key: String, in state: inout State, now: MonotonicInstant, settings: RateAllowance.Settings,
        maxKeys: Int, maxWaiting: Int, maxWait: Double, _ body: (inout Entry) -> T
    ) -> T {
        var entry: Entry
        // Taken out of the dictionary so the queue's storage is not shared while it changes.
        if let existing = state.entries.removeValue(forKey: key) {
            entry = existing
        } else {
            if state.entries.count >= maxKeys, let oldest = state.entries.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                state.entries[oldest.key] = nil
            }
            entry = Entry(
                queue: RateQueue(
                    allowance: RateAllowance(settings: settings, now: now),
                    maxWaiting: maxWaiting, maxWait: maxWait), lastUsed: now)
        }
        entry.lastUsed = max(entry.lastUsed, now)
        let result = body(&entry)
        state.entries[key] = entry
        return result
    }
}
