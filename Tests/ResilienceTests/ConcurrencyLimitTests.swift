import BallastCore
import Resilience
import Testing

/// A saturated upstream in simulated time: callers always fill the limit, and each request's
/// time to first byte is decided when it is sent (by the in-flight count then and the time).
struct SaturatedUpstream {
    var now = t(0)
    let limiter: ConcurrencyLimit
    let ttfb: (_ inFlight: Int, _ time: Double) -> Double
    private var pending: [(done: MonotonicInstant, rtt: Double, permit: ConcurrencyLimit.Permit)] = []

    init(limiter: ConcurrencyLimit, ttfb: @escaping (_ inFlight: Int, _ time: Double) -> Double) {
        self.limiter = limiter
        self.ttfb = ttfb
    }

    /// Runs until `seconds` (from the origin), calling `observe` after every completion.
    mutating func run(until seconds: Double, observe: (Double, Int) -> Void = { _, _ in }) {
        let end = t(seconds)
        while now < end {
            while let permit = limiter.tryAcquire(now: now) {
                let rtt = ttfb(limiter.inFlight, now.seconds(since: t(0)))
                let done = now.adding(seconds: rtt)
                let index = pending.firstIndex { $0.done > done } ?? pending.count
                pending.insert((done, rtt, permit), at: index)
            }
            let next = pending.removeFirst()
            now = next.done
            next.permit.success(rtt: next.rtt)
            observe(now.seconds(since: t(0)), limiter.limit)
        }
    }
}

@Suite struct ConcurrencyLimitTests {
    @Test func acquiresUpToTheLimitOnceTheUpstreamHasAnswered() {
        let limiter = ConcurrencyLimit()
        limiter.tryAcquire(now: t(0))?.success(rtt: 0.5)
        let permits = (0..<20).compactMap { _ in limiter.tryAcquire(now: t(0)) }
        #expect(permits.count == 20)
        #expect(limiter.tryAcquire(now: t(0)) == nil)
        #expect(limiter.snapshot.rejected == 1)
        permits[0].ignore()
        #expect(limiter.tryAcquire(now: t(0)) != nil)
    }

    /// Before its first answer nothing is known of the upstream: only the configured maximum
    /// binds (a plain client is not limited either). Connect failures (`ignore`) say nothing;
    /// the first answer, or a drop, and the adaptive limit binds from the next request.
    @Test func beforeTheFirstAnswerOnlyTheMaximumBinds() {
        let limiter = ConcurrencyLimit(settings: .init(initialLimit: 20, maxLimit: 50))
        var permits = (0..<60).compactMap { _ in limiter.tryAcquire(now: t(0)) }
        #expect(permits.count == 50)
        #expect(limiter.hasRoom() == false)
        permits.removeFirst().ignore()
        #expect(limiter.hasRoom())
        permits.removeFirst().success(rtt: 1.3)
        // 48 in flight against a limit of about 20: nothing more until enough of them end.
        #expect(limiter.tryAcquire(now: t(1)) == nil)
        while limiter.inFlight >= limiter.limit { permits.removeFirst().success(rtt: 1.3) }
        #expect(limiter.limit < 30 && limiter.tryAcquire(now: t(2)) != nil)

        let dropped = ConcurrencyLimit(settings: .init(initialLimit: 20, maxLimit: 50))
        var more = (0..<30).compactMap { _ in dropped.tryAcquire(now: t(0)) }
        more.removeFirst().dropped()
        #expect(dropped.tryAcquire(now: t(0)) == nil)
    }

    @Test func eachPermitReportsOnce() {
        let limiter = ConcurrencyLimit()
        let first = limiter.tryAcquire(now: t(0))
        let second = limiter.tryAcquire(now: t(0))
        #expect(limiter.inFlight == 2)
        first?.success(rtt: 0.5)
        first?.dropped()
        first?.ignore()
        #expect(first?.isReported == true)
        #expect(limiter.inFlight == 1)
        #expect(limiter.snapshot.dropped == 0)
        #expect(limiter.limit == 20)
        second?.dropped()
        second?.dropped()
        #expect(limiter.inFlight == 0)
        #expect(limiter.snapshot.dropped == 1)
        #expect(limiter.limit == 18)
    }

    @Test func unreportedPermitsAreReleased() {
        let limiter = ConcurrencyLimit()
        var permits = (0..<20).compactMap { _ in limiter.tryAcquire(now: t(0)) }
        #expect(limiter.inFlight == 20)
        permits.removeAll()
        #expect(limiter.inFlight == 0)
        #expect(limiter.limit == 20)
    }

    @Test func dropsDecreaseOncePerRoundOfRequests() {
        let limiter = ConcurrencyLimit()
        let burst = (0..<20).compactMap { _ in limiter.tryAcquire(now: t(0)) }
        for permit in burst { permit.dropped() }
        // Twenty 529s from requests sent together are one signal.
        #expect(limiter.limit == 18)
        // Requests sent after the cut that are dropped again cut again, down to the minimum.
        for _ in 0..<40 { limiter.tryAcquire(now: t(1))?.dropped() }
        #expect(limiter.limit == 4)
        #expect(limiter.snapshot.dropped == 60)
    }

    @Test func flatLatencyLetsTheLimitGrow() {
        let limiter = ConcurrencyLimit()
        var upstream = SaturatedUpstream(limiter: limiter) { _, _ in 0.5 }
        upstream.run(until: 600)
        #expect(limiter.limit == 200)
    }

    @Test func appLimitedTrafficDoesNotMoveTheLimit() {
        let limiter = ConcurrencyLimit()
        var now = t(0)
        for _ in 0..<1000 {
            let permits = (0..<5).compactMap { _ in limiter.tryAcquire(now: now) }
            now = now.adding(seconds: 0.5)
            for permit in permits { permit.success(rtt: 0.5) }
        }
        #expect(limiter.limit == 20)
    }

    /// Time to first byte is flat up to the upstream's 50 slots and grows in proportion beyond
    /// (requests queue). The limit rises past the capacity and then stays in a narrow band.
    @Test func latencyGrowingWithInFlightSettles() {
        let limiter = ConcurrencyLimit()
        var upstream = SaturatedUpstream(limiter: limiter) { inFlight, _ in max(1, Double(inFlight) / 50) }
        var late: [Int] = []
        upstream.run(until: 600) { time, limit in if time >= 300 { late.append(limit) } }
        let low = late.min() ?? 0
        let high = late.max() ?? 0
        #expect(low >= 50)
        #expect(high <= 125)
        #expect(Double(high - low) <= 0.2 * Double(high))
    }

    @Test func aLatencyJumpDecreasesTheLimit() {
        let limiter = ConcurrencyLimit()
        var upstream = SaturatedUpstream(limiter: limiter) { inFlight, time in
            let base = time < 300 ? 0.5 : 3
            return base * max(1, Double(inFlight) / 50)
        }
        upstream.run(until: 300)
        let before = limiter.limit
        upstream.run(until: 400)
        let after = limiter.limit
        #expect(after < before * 7 / 10)
        #expect(after >= 4)
    }
}
