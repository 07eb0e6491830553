import BallastCore
import Resilience
import Shared

extension CallPolicy {
    /// The shared allowance first (the organisation's bucket), then the local pacer (this
    /// instance's AIMD and header pacing): a request goes when both let it, after the longer
    /// of the two waits. A shared refusal costs the local pacer nothing.
    func admitShared(_ shared: SharedAllowance, key: String, now: MonotonicInstant) -> RateQueue.Admission {
        let outer = shared.admit(key, ceiling: pacer.announcedLimit(key), now: now)
        if case .reject(let retryAfter) = outer { return .reject(retryAfter: retryAfter) }
        let local = pacer.admit(key, now: now)
        switch (outer, local) {
        case (_, .reject):
            return local
        case (.wait(let a), .wait(let b)):
            return .wait(seconds: max(a, b))
        case (.wait(let a), _):
            return .wait(seconds: a)
        default:
            return local
        }
    }
}
