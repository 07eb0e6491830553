import BallastCore
import Resilience
import Testing

@Suite struct RateQueueTests {
    func queue(rate: Double?, maxWaiting: Int = 100, maxWait: Double = 10) -> RateQueue {
        RateQueue(allowance: RateAllowance(settings: .init(initialRate: rate), now: t(0)),
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
        queue.allowance.recordRateLimited(now: t(0))
        #expect(queue.allowance.rate == 1)
        #expect(queue.admit(now: t(0)) == .wait(seconds: 1))
        #expect(queue.admit(now: t(0)) == .wait(seconds: 2))
    }

    @Test func pacerKeepsKeysApart() {
        let pacer = RatePacer(settings: .init(initialRate: 1), maxKeys: 2)
        #expect(pacer.admit("us/opus", now: t(0)) == .now)
        #expect(pacer.admit("us/opus", now: t(0)) == .wait(seconds: 1))
        #expect(pacer.admit("eu/opus", now: t(0)) == .now)
        #expect(pacer.recordRateLimited("eu/opus", now: t(0.2)))
        let snapshot = pacer.snapshot(now: t(0.5))
        #expect(snapshot.map(\.key) == ["eu/opus", "us/opus"])
        #expect(snapshot.map(\.waiting) == [0, 1])
        #expect(snapshot.map(\.rate) == [0.5, 1])
        // A third key evicts the least recently used one.
        #expect(pacer.admit("ap/opus", now: t(1)) == .now)
        #expect(pacer.snapshot(now: t(1)).map(\.key) == ["ap/opus", "eu/opus"])
    }
}
