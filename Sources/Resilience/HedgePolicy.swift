public import BallastCore
import Synchronization

/// When to send a second copy of a request that has not produced its first byte yet, and
/// whether the budget allows one ("The Tail at Scale": a hedge sent after the 95th percentile
/// cut the 99.9th from 1,800 ms to 74 ms for about 2 % more requests).
///
/// - **Delay**: per key (region + model), the `quantile` (p95) of recent times to first byte,
///   from a log-bucket histogram over a sliding `window` (60 s in six 10 s slices). Until the
///   window holds `minSamples` (20), the same over the key's pool (the model in every
///   region); nil while that too has fewer: without data, no hedging.
/// - **Budget**: hedges in the window may be at most `maxExtraRatio` (5 %) of the requests in
///   the same window: every request earns 0.05 of a hedge, which expires with the window.
///   Every hedge costs tokens at the upstream, so the budget is strict.
///
/// Hedge only before the first byte: once a stream has started, the client has seen it.
///
/// Call sequence: per client request `recordRequest(now:)` and `hedgeDelay(key, now:)`; nil →
/// no hedge timer. When the timer fires with still no first byte: `tryHedge(now:)`; true → send
/// the copy (after the concurrency and rate checks). Every attempt that gets a 2xx head reports
/// `recordFirstByte(key, seconds:now:)` (errors come back at once and are no answer's time). The first to answer wins: `recordWon()` when it
/// is the hedge, and `recordCancelled()` for each copy (original or hedge) that is cancelled.
/// Thread-safe; one instance for the gateway.
public final class HedgePolicy: Sendable {
    public struct Settings: Sendable, Equatable {
        public var quantile: Double
        public var minSamples: Int
        /// Seconds of history for both the latency estimate and the budget.
        public var window: Double
        public var slices: Int
        public var maxExtraRatio: Double
        /// Keys (region + model) remembered; the least recently used is forgotten beyond this.
        public var maxKeys: Int

        public init(
            quantile: Double = 0.95, minSamples: Int = 20, window: Double = 60, slices: Int = 6,
            maxExtraRatio: Double = 0.05, maxKeys: Int = 256
        ) {
            self.quantile = quantile
            self.minSamples = minSamples
            self.window = window
            self.slices = slices
            self.maxExtraRatio = maxExtraRatio
            self.maxKeys = max(1, maxKeys)
        }
    }

    public struct Counters: Sendable, Equatable {
        public var requests = 0
        /// Hedges the budget allowed (and the caller sent).
        public var sent = 0
        /// Hedges the budget refused.
        public var refused = 0
        /// Hedges that answered first.
        public var won = 0
        /// Attempts cancelled because another copy answered first.
        public var cancelled = 0
    }

    private struct Latency {
        var histogram: SlidingHistogram
        var lastUsed: MonotonicInstant
    }

    private struct State {
        var latencies: [String: Latency] = [:]
        var pools: [String: Latency] = [:]
        var requests: SlidingCounter
        var hedges: SlidingCounter
        var counters = Counters()
    }

    public let settings: Settings
    private let state: Mutex<State>

    public init(settings: Settings = Settings()) {
        self.settings = settings
        state = Mutex(
            State(
                requests: SlidingCounter(window: settings.window, slices: settings.slices),
                hedges: SlidingCounter(window: settings.window, slices: settings.slices)))
    }

    /// A time to first byte seen for `key`; `pool` (the model, whatever the region) collects
    /// the samples of every key that shares it, for a key that has too few of its own.
    public func recordFirstByte(_ key: String, pool: String? = nil, seconds: Double, now: MonotonicInstant) {
        state.withLock { s in
            Self.record(seconds, for: key, in: &s.latencies, settings: settings, now: now)
            if let pool { Self.record(seconds, for: pool, in: &s.pools, settings: settings, now: now) }
        }
    }

    private static func record(
        _ seconds: Double, for key: String, in latencies: inout [String: Latency], settings: Settings, now: MonotonicInstant
    ) {
        var latency: Latency
        // Taken out so the histogram's storage is not shared while it changes.
        if let existing = latencies.removeValue(forKey: key) {
            latency = existing
        } else {
            if latencies.count >= settings.maxKeys, let oldest = latencies.min(by: { $0.value.lastUsed < $1.value.lastUsed }) {
                latencies[oldest.key] = nil
            }
            latency = Latency(histogram: SlidingHistogram(window: settings.window, slices: settings.slices), lastUsed: now)
        }
        latency.histogram.record(seconds, now: now)
        latency.lastUsed = max(latency.lastUsed, now)
        latencies[key] = latency
    }

    /// Seconds to wait for a first byte before hedging: the window's p95 for `key`, or for its
    /// `pool` while `key` has fewer than `minSamples` samples; nil while both have too few.
    ///
    /// The pool is for a start: the tail bench's worst request (a 3 s stall, 0.7 s into the
    /// run) came while each region had fewer than 20 answers of its own but both together
    /// had more, and it was neither hedged nor rescued (3.27 s).
    public func hedgeDelay(_ key: String, pool: String? = nil, now: MonotonicInstant) -> Double? {
        state.withLock { s in
            if let delay = Self.quantile(of: key, in: &s.latencies, settings: settings, now: now) { return delay }
            guard let pool else { return nil }
            return Self.quantile(of: pool, in: &s.pools, settings: settings, now: now)
        }
    }

    private static func quantile(
        of key: String, in latencies: inout [String: Latency], settings: Settings, now: MonotonicInstant
    ) -> Double? {
        guard var latency = latencies.removeValue(forKey: key) else { return nil }
        defer { latencies[key] = latency }
        guard latency.histogram.count(now: now) >= settings.minSamples else { return nil }
        return latency.histogram.quantile(settings.quantile, now: now)
    }

    /// A client request arrived: it earns `maxExtraRatio` of a hedge for the window.
    public func recordRequest(now: MonotonicInstant) {
        state.withLock { s in
            s.requests.add(now: now)
            s.counters.requests += 1
        }
    }

    /// True (and counted as sent) when one more hedge keeps the window's hedges within
    /// `maxExtraRatio` of its requests, less the `spare` share of that budget (0...1) kept for
    /// a later look (`CallPolicy.hedgeSpareAtDelay`: at the hedge delay itself part of the
    /// budget stays spare for the requests still waiting a little later, mostly the slow ones).
    public func tryHedge(now: MonotonicInstant, spare: Double = 0) -> Bool {
        state.withLock { s in
            let requests = s.requests.count(now: now)
            let hedges = s.hedges.count(now: now)
            let share = 1 - min(max(spare, 0), 1)
            guard Double(hedges + 1) <= settings.maxExtraRatio * Double(requests) * share else {
                s.counters.refused += 1
                return false
            }
            s.hedges.add(now: now)
            s.counters.sent += 1
            return true
        }
    }

    /// The hedge answered before the original.
    public func recordWon() {
        state.withLock { $0.counters.won += 1 }
    }

    /// A copy was cancelled because the other one answered first.
    public func recordCancelled() {
        state.withLock { $0.counters.cancelled += 1 }
    }

    public var counters: Counters { state.withLock { $0.counters } }
}
