import BallastCore
import Resilience
import SharedState

extension CallPolicy {
    /// The shared allowance first (the organisation's bucket), then the local pacer (this
    /// instance's AIMD and header pacing): a request goes when both let it, after the longer
    /// of the two waits. A shared refusal costs the local pacer nothing.
    func admitShared(_ shared: SharedAllowance, _ request: RatePacer.Request, now: MonotonicInstant) -> RatePacer.Grant {
        let key = request.key
        let outer = shared.admit(key, ceiling: pacer.announcedLimit(key), now: now)
        if case .reject(let retryAfter) = outer {
            return RatePacer.Grant(admission: .reject(retryAfter: retryAfter), cost: .zero, oversubscribed: false)
        }
        var grant = pacer.admit(request, now: now)
        switch (outer, grant.admission) {
        case (_, .reject):
            break
        case (.wait(let a), .wait(let b)):
            grant.admission = .wait(seconds: max(a, b))
        case (.wait(let a), _):
            grant.admission = .wait(seconds: a)
        default:
            break
        }
        return grant
    }
}
