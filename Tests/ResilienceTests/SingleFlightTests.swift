import Dispatch
import Resilience
import Synchronization
import Testing

@Suite struct SingleFlightTests {
    @Test func followersGetTheLeadersResultInOrder() {
        let flight = SingleFlight<String, [UInt8]>()
        #expect(flight.join("a") == .leader)
        guard case .follower(let first) = flight.join("a"), case .follower(let second) = flight.join("a") else {
            Issue.record("expected followers")
            return
        }
        #expect(flight.join("b") == .leader)
        #expect(flight.complete("a", with: [1, 2, 3]) == [first, second])
        #expect(flight.inFlight == 1)
        // The flight is over: the next caller leads a new one.
        #expect(flight.join("a") == .leader)
    }

    @Test func followersAreBounded() {
        let flight = SingleFlight<String, Int>(maxFollowers: 2)
        #expect(flight.join("a") == .leader)
        _ = flight.join("a")
        _ = flight.join("a")
        #expect(flight.join("a") == .overflow)
        #expect(flight.complete("a", with: 1).count == 2)
    }

    @Test func aFailedLeaderPromotesTheNextFollower() {
        let flight = SingleFlight<String, Int>()
        #expect(flight.join("a") == .leader)
        guard case .follower(let first) = flight.join("a"), case .follower(let second) = flight.join("a") else {
            Issue.record("expected followers")
            return
        }
        #expect(flight.fail("a") == .promoted(first))
        // The promoted follower now leads; the other keeps waiting for its result.
        #expect(flight.complete("a", with: 7) == [second])
        #expect(flight.fail("a") == .failed([]))
    }

    @Test func aFailedLeaderCanFailEveryone() {
        let flight = SingleFlight<String, Int>(onLeaderFailure: .failAll)
        #expect(flight.join("a") == .leader)
        guard case .follower(let first) = flight.join("a"), case .follower(let second) = flight.join("a") else {
            Issue.record("expected followers")
            return
        }
        #expect(flight.fail("a") == .failed([first, second]))
        #expect(flight.inFlight == 0)
    }

    @Test func aFollowerCanLeave() {
        let flight = SingleFlight<String, Int>()
        #expect(flight.join("a") == .leader)
        guard case .follower(let first) = flight.join("a"), case .follower(let second) = flight.join("a") else {
            Issue.record("expected followers")
            return
        }
        #expect(flight.leave("a", first))
        #expect(!flight.leave("a", first))
        #expect(flight.complete("a", with: 1) == [second])
    }

    @Test func concurrentJoinsElectOneLeader() {
        let flight = SingleFlight<String, Int>()
        let leaders = Atomic<Int>(0)
        let followers = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 1000) { _ in
            switch flight.join("same") {
            case .leader: leaders.add(1, ordering: .relaxed)
            case .follower: followers.add(1, ordering: .relaxed)
            case .overflow: break
            }
        }
        #expect(leaders.load(ordering: .relaxed) == 1)
        #expect(followers.load(ordering: .relaxed) == 999)
        #expect(flight.complete("same", with: 0).count == 999)
    }
}
