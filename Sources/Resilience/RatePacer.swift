import BallastCore
import Synchronization

/// One `RateQueue` per upstream key (region + model) behind one lock: what the gateway holds.
///
/// Keys come from clients (the model name), so their number is bounded: past `maxKeys` the
/// least recently used key is forgotten (it starts again as unknown).
///
/// Call sequence per attempt: `admit(key, now:)` → send now, after the reserved wait, or answer
/// 429 with the `retryAfter`; when the answer's head arrives, `observe(key, headers:wallTime:
/// now:)`, then `recordRateLimited(key, retryAfter:now:)` for a `Failure.isRateLimited`, or
/// `recordSuccess(key, now:)` for anything else the upstream answered.
public final class RatePacer: Sendable {
    /// One key's state, for `/metrics` and the control API.
    public struct Snapshot: Sendable, Equatable {
        public var key: String
        /// The AIMD allowance, requests per second; nil = unlimited.
        public var rate: Double?
        /// The rate pacing applies now (allowance lowered by header pacing).
        public var effectiveRate: Double?
        public var announcedLimit: Double?
        public var waiting: Int
    }

    private struct Entry {
        var queue: RateQueue
        var lastUsed: MonotonicInstant
    }

    public let settings: RateAllowance.Settings
    public let maxWaiting: Int
    public let maxWait: Double
    public let maxKeys: Int
    private let entries = Mutex<[String: Entry]>([:])

    public init(settings: RateAllowance.Settings = RateAllowance.Settings(), maxWaiting: Int = 100,
                maxWait: Double = 10, maxKeys: Int = 1024) {
        self.settings = settings
        self.maxWaiting = maxWaiting
        self.maxWait = maxWait
        self.maxKeys = max(1, maxKeys)
    }

    public func admit(_ key: String, now: MonotonicInstant) -> RateQueue.Admission {
        update(key, now: now) { $0.admit(now: now) }
    }

    /// What `admit` would answer, reserving nothing (see `RateQueue.peek`).
    public func peek(_ key: String, now: MonotonicInstant) -> RateQueue.Admission {
        update(key, now: now) { $0.peek(now: now) }
    }

    public func observe(_ key: String, headers: HTTPHeaders, wallTime: Double, now: MonotonicInstant) {
        let limits = RateLimitHeaders(headers)
        guard !limits.isEmpty else { return }
        update(key, now: now) { $0.allowance.observe(limits, wallTime: wallTime, now: now) }
    }

    public func recordSuccess(_ key: String, now: MonotonicInstant) {
        update(key, now: now) { $0.allowance.recordSuccess(now: now) }
    }

    @discardableResult
    public func recordRateLimited(_ key: String, retryAfter: Double? = nil, now: MonotonicInstant) -> Bool {
        update(key, now: now) { $0.allowance.recordRateLimited(retryAfter: retryAfter, now: now) }
    }

    /// The limit the upstream announced for `key` (requests per second); nil while unknown.
    /// The shared allowance sizes the organisation-wide bucket from it.
    public func announcedLimit(_ key: String) -> Double? {
        entries.withLock { $0[key]?.queue.allowance.announcedLimit }
    }

    public func snapshot(now: MonotonicInstant) -> [Snapshot] {
        entries.withLock { entries in
            entries.keys.sorted().compactMap { key in
                guard var entry = entries.removeValue(forKey: key) else { return nil }
                let waiting = entry.queue.waiting(now: now)
                entries[key] = entry
                let allowance = entry.queue.allowance
                return Snapshot(key: key, rate: allowance.rate, effectiveRate: allowance.effectiveRate(now: now),
                                announcedLimit: allowance.announcedLimit, waiting: waiting)
            }
        }
    }

    private func update<T>(_ key: String, now: MonotonicInstant, _ body: (inout RateQueue) -> T) -> T {
        entries.withLock { entries in
            var entry: Entry
            // Taken out of the dictionary so the queue's storage is not shared while it changes.
            if let existing = entries.removeValue(forKey: key) {
                entry = existing
            } else {
                if entries.count >= maxKeys, let oldest = entries.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                    entries[oldest.key] = nil
                }
                entry = Entry(queue: RateQueue(allowance: RateAllowance(settings: settings, now: now),
                                               maxWaiting: maxWaiting, maxWait: maxWait), lastUsed: now)
            }
            entry.lastUsed = max(entry.lastUsed, now)
            let result = body(&entry.queue)
            entries[key] = entry
            return result
        }
    }
}
