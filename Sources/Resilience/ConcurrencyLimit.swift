public import BallastCore
import Synchronization

/// An adaptive limit on requests in flight to one upstream, learned from time to first byte
/// with Netflix's Gradient2 algorithm (concurrency-limits `Gradient2Limit`), fed by windows of
/// samples as Netflix's `WindowedLimit` does.
///
/// Samples are gathered into windows (at least `windowSize` samples over
/// `clamp(2 * min TTFB, minWindow, maxWindow)` seconds); each window's average TTFB is one
/// sample for Gradient2, which compares it with a long-term average (an exponential average
/// over `longWindow` windows, plain mean over the first 10):
///
///     gradient = clamp(rttTolerance * longRtt / windowRtt, 0.5, 1)
///     newLimit = limit * gradient + queueSize
///     limit    = limit * (1 - smoothing) + newLimit * smoothing, clamped to min...max
///
/// While latency is flat the gradient is 1 and the limit grows by `queueSize * smoothing` per
/// window; when queueing makes the TTFB rise above `rttTolerance` times its long average the
/// limit shrinks (by at most half per window, before smoothing). When the long average is more
/// than twice the window's (load just went away) it is decayed by 0.95 so the limit recovers
/// sooner. A window in which less than half the limit was ever in use does not move the limit
/// (the callers, not the upstream, were the bottleneck).
///
/// Windows rather than single samples: with one sample per update the limit reacts to latency
/// caused by the limit of one round trip earlier and swings widely (in a model of a saturated
/// upstream with 50 slots: between 12 and 138); averaged windows settle (docs/resilience.md).
/// The long average still adapts (by design, to follow lasting changes of the upstream), so
/// under endless saturation the limit creeps up over tens of minutes; an overloaded Anthropic
/// upstream answers 529, and drops bring it back down.
///
/// Ballast's other addition: until the upstream has answered once (a `success` or `dropped`
/// report), only `maxLimit` binds. Before its first answer nothing is known to adapt from, a
/// plain client is not limited either, and an LLM's first answer takes seconds: 20 slots per
/// region held a 1.3 s region to 15 requests a second while a bucket of 10 s of refill sat full
/// and overflowed (the capacity simulation's random seeds below no gateway by 1-2 %, seed 51).
///
/// Ballast's addition: `dropped()` (the upstream said overloaded, or timed out) multiplies the
/// limit by `dropFactor` (0.9, the AIMD backoff ratio) at once, because a 529 comes fast and
/// would otherwise read as a *good* latency sample. Only requests sent after the latest cut
/// can cut again, so a burst of 529s from requests already in flight counts once.
///
/// Call sequence (acquire-then-report, as Netflix's `Limiter.acquire` → `Listener`):
/// `tryAcquire(now:)` → nil means over the limit (shed or queue the request); otherwise
/// report the permit exactly once: `success(rtt:)` with the TTFB measured from
/// `permit.acquiredAt` when the first byte came, `dropped()` when the attempt ended with
/// `Failure.signalsOverload`, `ignore()` for anything that says nothing about the upstream's
/// load (client error, cancelled, connect failure). Later reports are no-ops; a permit
/// released without a report counts as `ignore()`. Thread-safe; one instance per upstream.
public final class ConcurrencyLimit: Sendable {
    public struct Settings: Sendable, Equatable {
        public var initialLimit: Int
        public var minLimit: Int
        public var maxLimit: Int
        public var smoothing: Double
        public var queueSize: Double
        public var rttTolerance: Double
        public var longWindow: Int
        public var dropFactor: Double
        /// Samples a window needs before it counts.
        public var windowSize: Int
        /// Bounds of a window's length, in seconds (it lasts twice its fastest TTFB).
        public var minWindow: Double
        public var maxWindow: Double

        public init(
            initialLimit: Int = 20, minLimit: Int = 4, maxLimit: Int = 200, smoothing: Double = 0.2,
            queueSize: Double = 4, rttTolerance: Double = 1.5, longWindow: Int = 600, dropFactor: Double = 0.9,
            windowSize: Int = 10, minWindow: Double = 1, maxWindow: Double = 10
        ) {
            self.minLimit = max(1, minLimit)
            self.maxLimit = max(self.minLimit, maxLimit)
            self.initialLimit = min(self.maxLimit, max(self.minLimit, initialLimit))
            self.smoothing = smoothing
            self.queueSize = queueSize
            self.rttTolerance = rttTolerance
            self.longWindow = max(1, longWindow)
            self.dropFactor = dropFactor
            self.windowSize = max(1, windowSize)
            self.minWindow = max(0, minWindow)
            self.maxWindow = max(self.minWindow, maxWindow)
        }
    }

    /// The limiter's state, for `/metrics`.
    public struct Snapshot: Sendable, Equatable {
        public var limit: Int
        public var estimatedLimit: Double
        public var inFlight: Int
        public var shortRtt: Double?
        public var longRtt: Double?
        public var rejected: Int
        public var dropped: Int
    }

    private struct Window {
        var sum = 0.0
        var count = 0
        var minRtt = Double.infinity
        var maxInFlight = 0
    }

    private struct State {
        var estimatedLimit: Double
        var inFlight = 0
        var window = Window()
        var windowEnds: MonotonicInstant?
        /// Counts drop cuts; a permit acquired before the latest cut cannot ask for another.
        var cuts: UInt64 = 0
        var shortRtt: Double?
        var longRtt = 0.0
        var longSamples = 0
        var longSum = 0.0
        var rejected = 0
        var dropped = 0
        /// The upstream has answered once (a success or a drop reported).
        var answered = false

        /// How many may be in flight: the adaptive limit or the caller's floor, whichever is
        /// higher, once the upstream has answered; the configured maximum before.
        func bound(floor: Int, settings: Settings) -> Int {
            answered ? max(Int(estimatedLimit), floor) : settings.maxLimit
        }
    }

    public let settings: Settings
    private let state: Mutex<State>

    public init(settings: Settings = Settings()) {
        self.settings = settings
        state = Mutex(State(estimatedLimit: Double(settings.initialLimit)))
    }

    /// A permit when fewer than `limit` requests are in flight (or fewer than `floor`, when
    /// the caller knows that many are paid for; or fewer than `maxLimit` before the first
    /// answer); nil (counted as rejected) otherwise. `now` is kept in the permit so the caller
    /// can measure the TTFB from it.
    public func tryAcquire(now: MonotonicInstant, floor: Int = 0) -> Permit? {
        let granted: (inFlight: Int, cuts: UInt64)? = state.withLock { s in
            guard s.inFlight < s.bound(floor: floor, settings: settings) else {
                s.rejected += 1
                return nil
            }
            s.inFlight += 1
            return (s.inFlight, s.cuts)
        }
        return granted.map { Permit(limiter: self, acquiredAt: now, inFlightAtAcquire: $0.inFlight, cutsAtAcquire: $0.cuts) }
    }

    /// The current limit on requests in flight (what binds once the upstream has answered).
    public var limit: Int { state.withLock { Int($0.estimatedLimit) } }

    /// True when one more request could be in flight now (see `tryAcquire`).
    public func hasRoom(floor: Int = 0) -> Bool {
        state.withLock { $0.inFlight < $0.bound(floor: floor, settings: settings) }
    }

    public var inFlight: Int { state.withLock { $0.inFlight } }

    public var snapshot: Snapshot {
        state.withLock { s in
            Snapshot(
                limit: Int(s.estimatedLimit), estimatedLimit: s.estimatedLimit, inFlight: s.inFlight,
                shortRtt: s.shortRtt, longRtt: s.longSamples > 0 ? s.longRtt : nil,
                rejected: s.rejected, dropped: s.dropped)
        }
    }

    // MARK: - Reports from permits

    func release(_ report: Permit.Report, acquiredAt: MonotonicInstant, inFlightAtAcquire: Int, cutsAtAcquire: UInt64) {
        state.withLock { s in
            s.inFlight = max(0, s.inFlight - 1)
            switch report {
            case .ignore:
                return
            case .dropped:
                s.answered = true
                s.dropped += 1
                // Requests sent before the last cut report the overload that cut was for (TCP's
                // one decrease per window of data in flight): 50 simultaneous 529s are one signal.
                guard cutsAtAcquire == s.cuts else { return }
                s.cuts &+= 1
                s.estimatedLimit = clamp(s.estimatedLimit * settings.dropFactor)
            case .success(let rtt):
                s.answered = true
                guard rtt.isFinite, rtt > 0 else { return }
                add(rtt, inFlight: inFlightAtAcquire, end: acquiredAt.adding(seconds: rtt), state: &s)
            }
        }
    }

    /// Adds a sample to the window; at the window's end, feeds its average to Gradient2.
    private func add(_ rtt: Double, inFlight: Int, end: MonotonicInstant, state s: inout State) {
        s.window.sum += rtt
        s.window.count += 1
        s.window.minRtt = min(s.window.minRtt, rtt)
        s.window.maxInFlight = max(s.window.maxInFlight, inFlight)
        if let windowEnds = s.windowEnds, end <= windowEnds { return }
        let window = s.window
        s.window = Window()
        s.windowEnds = end.adding(seconds: min(max(window.minRtt * 2, settings.minWindow), settings.maxWindow))
        guard window.count >= settings.windowSize else { return }
        update(window.sum / Double(window.count), maxInFlight: window.maxInFlight, state: &s)
    }

    private func update(_ rtt: Double, maxInFlight: Int, state s: inout State) {
        s.shortRtt = rtt
        if s.longSamples < 10 {
            s.longSamples += 1
            s.longSum += rtt
            s.longRtt = s.longSum / Double(s.longSamples)
        } else {
            let factor = 2 / Double(settings.longWindow + 1)
            s.longRtt = s.longRtt * (1 - factor) + rtt * factor
        }
        // Load went away after a long spell of it: let the baseline come down faster.
        if s.longRtt / rtt > 2 { s.longRtt *= 0.95 }
        // App-limited: too little traffic to say anything about the upstream's capacity.
        guard Double(maxInFlight) >= s.estimatedLimit / 2 else { return }
        let gradient = max(0.5, min(1, settings.rttTolerance * s.longRtt / rtt))
        let target = s.estimatedLimit * gradient + settings.queueSize
        s.estimatedLimit = clamp(s.estimatedLimit * (1 - settings.smoothing) + target * settings.smoothing)
    }

    private func clamp(_ limit: Double) -> Double {
        min(Double(settings.maxLimit), max(Double(settings.minLimit), limit))
    }
}
