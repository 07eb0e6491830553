public import BallastCore
import Synchronization

extension ConcurrencyLimit {
    /// One request's place under the limit. Report it exactly once; every report after the
    /// first is a no-op, and a permit released unreported counts as `ignore()` (so a forgotten
    /// path cannot leak capacity).
    public final class Permit: Sendable {
        enum Report {
            case success(rtt: Double)
            case dropped
            case ignore
        }

        /// When the permit was granted (the start of the TTFB measurement).
        public let acquiredAt: MonotonicInstant
        private let limiter: ConcurrencyLimit
        private let inFlightAtAcquire: Int
        private let cutsAtAcquire: UInt64
        private let reported = Atomic<Bool>(false)

        init(limiter: ConcurrencyLimit, acquiredAt: MonotonicInstant, inFlightAtAcquire: Int, cutsAtAcquire: UInt64) {
            self.limiter = limiter
            self.acquiredAt = acquiredAt
            self.inFlightAtAcquire = inFlightAtAcquire
            self.cutsAtAcquire = cutsAtAcquire
        }

        deinit {
            report(.ignore)
        }

        /// The first byte came `rtt` seconds after `acquiredAt`: a latency sample.
        public func success(rtt: Double) { report(.success(rtt: rtt)) }

        /// The upstream was overloaded (529, 503, a timeout): shrink the limit.
        public func dropped() { report(.dropped) }

        /// The attempt says nothing about the upstream's load: just release.
        public func ignore() { report(.ignore) }

        /// True once the permit has been reported.
        public var isReported: Bool { reported.load(ordering: .acquiring) }

        private func report(_ report: Report) {
            guard reported.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged
            else { return }
            limiter.release(
                report, acquiredAt: acquiredAt, inFlightAtAcquire: inFlightAtAcquire,
                cutsAtAcquire: cutsAtAcquire)
        }
    }
}
