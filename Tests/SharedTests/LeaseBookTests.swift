import BallastCore
import SharedState
import Redis
import Testing

@Suite("Lease book: leased slots, estimates and the local fallback")
struct LeaseBookTests {
    let start = MonotonicInstant(nanoseconds: 1_000_000_000)

    @Test("a lease's slots are spaced at the shared rate past the bucket's level")
    func slotsFromLease() {
        var book = LeaseBook(settings: SharedAllowanceSettings(), now: start)
        #expect(book.admit(ceiling: 100, now: start) == .now, "the first request goes on an estimate")
        #expect(book.owed == 1)
        book.leasing = true
        book.applyLease(granted: 5, levelBefore: 2, rate: 50, fullFor: 0, wanted: 5, now: start)
        // Slots at 0, 0, +20 ms, +40 ms, +60 ms; the earliest repays the estimate.
        #expect(book.owed == 0)
        #expect(book.slots.count == 4)
        #expect(book.admit(ceiling: 100, now: start) == .now)
        #expect(book.admit(ceiling: 100, now: start) == .wait(seconds: 0.02))
        guard case .wait(let later) = book.admit(ceiling: 100, now: start) else {
            Issue.record("a later slot means a wait")
            return
        }
        #expect(abs(later - 0.04) < 1e-9)
    }

    @Test("a full horizon refuses with the time Redis gave, and no lease is sent meanwhile")
    func fullHorizon() {
        var book = LeaseBook(settings: SharedAllowanceSettings(maxOwed: 1), now: start)
        _ = book.admit(ceiling: 100, now: start)
        book.applyLease(granted: 1, levelBefore: -50, rate: 50, fullFor: 0.3, wanted: 8, now: start)
        #expect(book.slots.isEmpty)
        #expect(book.admit(ceiling: 100, now: start) == .reject(retryAfter: 0.31))
        #expect(book.leaseWanted(now: start) == nil)
        #expect(book.leaseWanted(now: start.adding(seconds: 0.31)) != nil)
    }

    @Test("a lease held up at 1,000 req/s: 20 ms of demand go on an estimate, then requests are refused")
    func owedScalesWithDemand() {
        var book = LeaseBook(settings: SharedAllowanceSettings(), now: start)
        var now = start
        // A second of 1,000 req/s, every request finding a leased slot.
        for _ in 0..<1_000 {
            now = now.adding(seconds: 0.001)
            book.leasing = true
            book.applyLease(granted: 1, levelBefore: 10, rate: 4_900, fullFor: 0, wanted: 1, now: now)
            #expect(book.admit(ceiling: 5_000, now: now) == .now)
        }
        #expect(book.owed == 0)
        #expect(abs(book.demand - 1_000) < 50)
        // The next lease is late: about 20 requests go on an estimate, spaced at the shared rate.
        book.leasing = true
        var estimated = 0
        while estimated < 100, book.admit(ceiling: 5_000, now: now) != .reject(retryAfter: 0.05) { estimated += 1 }
        #expect((19...22).contains(estimated), "\(estimated) went on an estimate")
        #expect(book.owed == estimated)
    }

    @Test("nothing known here: requests go, Redis is asked once, and nothing more while it knows nothing either")
    func unlimited() {
        var book = LeaseBook(settings: SharedAllowanceSettings(), now: start)
        #expect(book.admit(ceiling: nil, now: start) == .now)
        #expect(book.leaseWanted(now: start) == 1)
        book.leasing = true
        book.applyLease(granted: -1, levelBefore: 0, rate: 0, fullFor: 0, wanted: 1, now: start)
        #expect(book.admit(ceiling: nil, now: start) == .now)
        #expect(book.leaseWanted(now: start) == nil)
    }

    @Test("without Redis a key paces at local_share of the last shared rate")
    func localFallback() {
        var book = LeaseBook(settings: SharedAllowanceSettings(burstSeconds: 1, localShare: 0.25), now: start)
        _ = book.admit(ceiling: 100, now: start)
        book.applyLease(granted: 1, levelBefore: 1, rate: 80, fullFor: 0, wanted: 1, now: start)
        // 80 rps shared → 20 rps locally: over 2 s about 40 sends (slots reserved ahead count
        // when they fall within the 2 s), the rest wait further or are refused.
        let end = start.adding(seconds: 2)
        var sends = 0
        var now = start
        for _ in 0..<400 {
            now = now.adding(seconds: 0.005)
            switch book.admitLocally(ceiling: 100, now: now) {
            case .now: sends += 1
            case .wait(let seconds): if now.adding(seconds: seconds) <= end { sends += 1 }
            case .reject: break
            }
        }
        #expect((38...43).contains(sends), "got \(sends)")
    }
}
