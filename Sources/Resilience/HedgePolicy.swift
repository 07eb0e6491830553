public import BallastCore
import Synchronization

/// When to send a second copy of a request that has not produced its first byte yet, and
/// whether the budget allows one ("The Tail at Scale": a hedge sent after the 95th percentile
/// cut the 99.9th from 1,800 ms to 74 ms for about 2 % more requests).
///
/// - **Delay**: per key (region + model), the `quantile` (p95) of recent times to first byte,
///   from a log-bucket histogram over a sliding `window` (60 s in six 10 s slices). Nil until
///   the window holds `minSamples` (20): without data, no hedging.
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

    /// A time to first byte seen for `key`.
    public func recordFirstByte(_ key: String, seconds: Double, now: MonotonicInstant) {
        state.withLock { s in
            var latency: Latency
            // Taken out so the histogram's storage is not shared while it changes.
            if let existing = s.latencies.removeValue(forKey: key) {
                latency = existing
            } else {
                if s.latencies.count >= settings.maxKeys,
                    let oldest = s.latencies.min(by: { $0.value.lastUsed < $1.value.lastUsed })
                {
                    s.latencies[oldest.key] = nil
                }
                latency = Latency(
                    histogram: SlidingHistogram(window: settings.window, slices: settings.slices),
                    lastUsed: now)
            }
            latency.histogram.record(seconds, now: now)
            latency.lastUsed = max(latency.lastUsed, now)
            s.latencies[key] = latency
        }
    }

    /// Seconds to wait for a first byte before hedging: the window's p95 for `key`, or nil
    /// while there are fewer than `minSamples` samples.
    public func hedgeDelay(_ key: String, now: MonotonicInstant) -> Double? {
        state.withLock { s in
            guard var latency = s.latencies.removeValue(forKey: key) else { return nil }
            defer { s.latencies[key] = latency }
            guard latency.histogram.count(now: now) >= settings.minSamples else { return nil }
            return latency.histogram.quantile(settings.quantile, now: now)
        }
    }

    /// A client request arrived: it earns `maxExtraRatio` of a hedge for the window.
    public func recordRequest(now: MonotonicInstant) {
        state.withLock { s in
            s.requests.add(now: now)
            s.counters.requests += 1
        }
    }

    /// True (and counted as sent) when one more hedge keeps the window's hedges within
    /// `maxExtraRatio` of its requests.
    public func tryHedge(now: MonotonicInstant) -> Bool {
        state.withLock { s in
            let requests = s.requests.count(now: now)
            let hedges = s.hedges.count(now: now)
            guard Double(hedges + 1) <= settings.maxExtraRatio * Double(requests) else {
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
