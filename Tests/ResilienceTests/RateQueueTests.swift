import BallastCore
import Resilience
import Testing

@Suite struct RateQueueTests {
    func queue(rate: Double?, maxWaiting: Int = 100, maxWait: Double = 10) -> RateQueue {
        RateQueue(
            allowance: RateAllowance(settings: .init(initialRate: rate), now: t(0)),
            maxWaiting: maxWaiting, maxWait: maxWait)
    }

    @Test func waitersReserveSlotsInOrderAndRejectionsAreHonest() {
        var queue = queue(rate: 1, maxWaiting: 2)
        #expect(queue.admit(now: t(0)) == .now)
        #expect(queue.admit(now: t(0)) == .wait(seconds: 1))
        #expect(queue.admit(now: t(0)) == .wait(seconds: 2))
        #expect(queue.waiting(now: t(0)) == 2)
        #expect(queue.admit(now: t(0)) == .reject(retryAfter: 3))
        #expect(queue.waiting(now: t(1.5)) == 1)
        // A client that comes back after its retry-after finds room.
        #expect(queue.admit(now: t(3)) == .now)
        #expect(queue.waiting(now: t(3)) == 0)
    }

    /// A waiter whose predecessor gave its slot back (the request went to another region) goes
    /// as soon as its own share is there, not at the slot it reserved behind it.
    @Test func aWaiterMovesUpWhenTheOneAheadLeaves() {
        var queue = queue(rate: 1)
        #expect(queue.admit(now: t(0)) == .now)
        #expect(queue.admit(now: t(0)) == .wait(seconds: 1))
        #expect(queue.admit(now: t(0)) == .wait(seconds: 2))
        // Both in line: neither share is there yet.
        let first = queue.sendEarly(due: t(1), cost: .zero, now: t(0.5))
        let second = queue.sendEarly(due: t(2), cost: .zero, now: t(0.5))
        #expect(!first && !second)
        // The first leaves: the second's share comes at 1 s, not at 2 s.
        queue.allowance.refund(.zero, sentAt: t(1))
        queue.release(due: t(1))
        #expect(queue.waiting(now: t(0.5)) == 1)
        let early = queue.sendEarly(due: t(2), cost: .zero, now: t(0.9))
        let onTime = queue.sendEarly(due: t(2), cost: .zero, now: t(1))
        #expect(!early && onTime)
        #expect(queue.waiting(now: t(1)) == 0)
        // Its share was taken once: the next arrival waits a whole second.
        #expect(queue.admit(now: t(1)) == .wait(seconds: 1))
    }

    @Test func waitsLongerThanTheMaximumAreRejected() {
        var queue = queue(rate: 1, maxWait: 2.5)
        #expect(queue.admit(now: t(0)) == .now)
        #expect(queue.admit(now: t(0)) == .wait(seconds: 1))
        #expect(queue.admit(now: t(0)) == .wait(seconds: 2))
        #expect(queue.admit(now: t(0)) == .reject(retryAfter: 3))
        // The rejection took no slot.
        #expect(queue.admit(now: t(0)) == .reject(retryAfter: 3))
    }

    @Test func unlimitedAdmitsEverything() {
        var queue = queue(rate: nil)
        #expect((0..<10_000).allSatisfy { _ in queue.admit(now: t(0)) == .now })
    }

    @Test func aCutSlowsNewArrivals() {
        var queue = queue(rate: 2)
        #expect(queue.admit(now: t(0)) == .now)
        #expect(queue.admit(now: t(0)) == .now)
        queue.allowance.record(
            RateAllowance.Answer(limits: RateLimitHeaders(), rateLimited: true, sentAt: t(0)),
            wallTime: 0, now: t(0))
        #expect(queue.allowance.rate == 1)
        #expect(queue.admit(now: t(0)) == .wait(seconds: 1))
        #expect(queue.admit(now: t(0)) == .wait(seconds: 2))
    }

    @Test func pacerKeepsKeysApart() {
        let pacer = RatePacer(settings: .init(initialRate: 1), maxKeys: 2)
        #expect(pacer.admit("us/opus", now: t(0)) == .now)
        #expect(pacer.admit("us/opus", now: t(0)) == .wait(seconds: 1))
        #expect(pacer.admit("eu/opus", now: t(0)) == .now)
        pacer.record(
            "eu/opus", answer: RateAllowance.Answer(limits: RateLimitHeaders(), rateLimited: true, sentAt: t(0.1)),
            wallTime: 0, now: t(0.2))
        let snapshot = pacer.snapshot(now: t(0.5))
        #expect(snapshot.map(\.key) == ["eu/opus", "us/opus"])
        #expect(snapshot.map(\.waiting) == [0, 1])
        #expect(snapshot.map(\.rate) == [0.5, 1])
        // A third key evicts the least recently used one.
        #expect(pacer.admit("ap/opus", now: t(1)) == .now)
        #expect(pacer.snapshot(now: t(1)).map(\.key) == ["ap/opus", "eu/opus"])
    }

    /// A request waits only as long as its deadline allows, less the key's usual time to an
    /// answer; past that it is refused at once with the true wait.
    @Test func noWaitPastTheRequestsDeadline() {
        let pacer = RatePacer(settings: .init(initialRate: 1))
        #expect(pacer.admit(.init(key: "k", deadline: 30), now: t(0)).admission == .now)
        #expect(pacer.admit(.init(key: "k", deadline: 1.5), now: t(0)).admission == .wait(seconds: 1))
        #expect(pacer.admit(.init(key: "k", deadline: 1.5), now: t(0)).admission == .reject(retryAfter: 2))
        // Answers take 0.8 s here: a 1.2 s deadline leaves room for a 0.4 s wait only, not
        // for the 0.5 s until the next slot.
        pacer.record("k", answer: RateAllowance.Answer(limits: RateLimitHeaders(), sentAt: t(0.2)), wallTime: 0, now: t(1))
        #expect(pacer.admit(.init(key: "k", deadline: 1.2), now: t(1.5)).admission == .reject(retryAfter: 0.5))
        #expect(pacer.admit(.init(key: "k", deadline: 1.4), now: t(1.5)).admission == .wait(seconds: 0.5))
    }

    /// Demand above the whole allowance for longer than a burst is refused at once (the
    /// queue then never grows past the standing wait); a burst waits its turn.
    @Test func sustainedExcessIsRefusedAtOnceAndABurstWaits() {
        let pacer = RatePacer(settings: .init(initialRate: 10), standingWait: 0.05)
        // A burst of 65 at once: the bucket's 10 and five seconds' worth of refill (50) are
        // served at once or wait their turn, the rest is refused at once.
        var waited = 0, refusedInBurst = 0
        for _ in 0..<65 {
            let grant = pacer.admit(.init(key: "k", pool: ["k"], demand: "m", deadline: 60), now: t(0))
            if case .wait = grant.admission { waited += 1 }
            if case .reject = grant.admission { refusedInBurst += 1 }
        }
        #expect(waited == 60 - 10 + 1)
        #expect(refusedInBurst == 4)
        // Then 30 req/s for 16 s against 10: once the backlog passes the threshold again, the
        // excess is refused at once and no admitted request waits longer than the standing
        // wait (after the queue built before that has drained).
        var refused = 0, longestWait = 0.0, firstRefusal: Double?
        var measuredWaits = 0
        for index in 0..<480 {
            let now = t(7 + Double(index) / 30)
            let grant = pacer.admit(.init(key: "k", pool: ["k"], demand: "m", deadline: 60), now: now)
            switch grant.admission {
            case .reject(let retryAfter):
                refused += 1
                firstRefusal = firstRefusal ?? Double(index) / 30
                #expect(retryAfter > 0.05)
            case .wait(let seconds) where firstRefusal.map({ Double(index) / 30 > $0 + 6.5 }) ?? false:
                longestWait = max(longestWait, seconds)
                measuredWaits += 1
            default:
                break
            }
        }
        #expect(measuredWaits >= 20)
        #expect(longestWait <= 0.05)
        #expect((firstRefusal ?? 99) <= 3.5)
        #expect(refused >= 200)
        // Demand back under the allowance: after the backlog drains, waits are allowed again.
        for index in 0..<30 { _ = pacer.admit(.init(key: "k", pool: ["k"], demand: "m", deadline: 60), now: t(23 + Double(index) / 5)) }
        let grant = pacer.admit(.init(key: "k", pool: ["k"], demand: "m", deadline: 60), now: t(40))
        #expect(!grant.oversubscribed)
    }

    /// A pool with a key whose allowance is not known yet is never called oversubscribed.
    @Test func unknownAllowanceIsNotOversubscribed() {
        let pacer = RatePacer(settings: .init(initialRate: 1))
        for index in 0..<100 {
            let grant = pacer.admit(.init(key: "a", pool: ["a", "b"], demand: "m", deadline: 600), now: t(Double(index) / 100))
            #expect(!grant.oversubscribed)
        }
    }
}
