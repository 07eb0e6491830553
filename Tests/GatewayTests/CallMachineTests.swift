import BallastCore
@testable import Gateway
import Resilience
import Rules
import Testing
@testable import Proxy

/// The call's decisions without sockets, threads or a clock: events in, actions out, on a
/// world whose every answer the test sets. Each test reads as the story of one request.
@Suite struct CallMachineTests {
    /// A gateway of two regions whose policies answer as the test says.
    final class World: CallWorld {
        var now = MonotonicInstant(nanoseconds: 1_000_000_000)
        var regions = [
            Region(name: "primary", baseURL: "http://127.0.0.1:1", weight: 100),
            Region(name: "secondary", baseURL: "http://127.0.0.1:2", weight: 0),
        ]
        var drained: Set<String> = []
        var circuits: [String: CircuitAdmission] = [:]
        var fallbackModels: [String: String] = [:]
        var admission: [String: RateQueue.Admission] = [:]
        var hedgeAfter: Double?
        var hedgeBudget = 0
        var stragglerBudget = 0
        var retryBudget = 3
        var refreshes = 0

        var regionNames: [String] { regions.map(\.name) }
        func region(named name: String) -> Region? { regions.first { $0.name == name } }
        func isDrained(_ region: String) -> Bool { drained.contains(region) }
        /// Weights in force set to 0 by a failover (the configured standbys are 0 already).
        var failedAway: Set<String> = []
        func isStandby(_ region: String) -> Bool { failedAway.contains(region) || regions.first { $0.name == region }?.weight == 0 }
        /// The router's order: weighted first, then standbys.
        func pick(excluding: Set<String>, peek: Bool) -> Region? {
            regions.first { !excluding.contains($0.name) && !drained.contains($0.name) }
        }
        func admitCircuit(region: String, model: String?) -> CircuitAdmission { circuits[region] ?? .go }
        func isCircuitOpen(region: String, model: String?) -> Bool {
            if case .open = circuits[region] ?? .go { return true }
            return false
        }
        /// Regions whose circuit is half-open with probe permits left.
        var halfOpen: Set<String> = []
        func probeRegion(model: String?, among regions: [String]) -> String? { regions.first { halfOpen.contains($0) } }
        func fallBack(from model: String) -> String? { fallbackModels[model] }
        /// Keys per region by default; one key for every region when they share an allowance.
        var sharedPaceKey: String?
        func paceKey(region: Region, model: String?) -> String { sharedPaceKey ?? "\(region.name)|\(model ?? "-")" }
        func pacePool(model: String?) -> [String] { regions.map { paceKey(region: $0, model: model) } }
        func peekAdmission(_ request: RatePacer.Request) -> RateQueue.Admission { admission[request.key] ?? .now }
        func admit(_ request: RatePacer.Request) -> RatePacer.Grant {
            RatePacer.Grant(admission: admission[request.key] ?? .now, cost: .zero, oversubscribed: false)
        }
        func hasConcurrencyRoom(region: Region) -> Bool { true }
        var short: Set<String> = []
        func isAllowanceShort(region: Region) -> Bool { short.contains(region.name) }
        var released: [PacingCharge] = []
        func release(_ charge: PacingCharge) { released.append(charge) }
        /// Reserved send times the line has moved up past (the requests ahead left).
        var early: Set<MonotonicInstant> = []
        func sendEarly(_ charge: PacingCharge) -> Bool { charge.due.map { early.contains($0) } ?? false }
        func hedgeKey(region: Region, model: String?) -> String { region.name }
        func hedgeDelay(key: String, model: String?) -> Double? { hedgeAfter }
        /// The usual time to first byte (nil: unknown, so no attempt is ever overdue).
        var usualFirstByte: Double?
        func usualFirstByte(key: String) -> Double? { usualFirstByte }
        func mayHedge() -> Bool {
            guard hedgeBudget > 0 else { return false }
            hedgeBudget -= 1
            return true
        }
        func mayHedgeStraggler() -> Bool {
            guard stragglerBudget > 0 else { return false }
            stragglerBudget -= 1
            return true
        }
        func retryDelay(after failure: Failure, nextAttempt: Int, remaining: Double, untriedRegionLeft: Bool) -> Double? {
            guard failure.retryable, nextAttempt <= 4, remaining > 0 else { return nil }
            if untriedRegionLeft { return 0 }
            guard retryBudget > 0 else { return nil }
            retryBudget -= 1
            return 0.2
        }
        func credentialsRefreshed(rejecting index: Int) -> Bool {
            refreshes += 1
            return true
        }

        func advance(_ seconds: Double) { now = now.adding(seconds: seconds) }
    }

    static let overloaded = Failure(outcome: .upstream, retryable: true, status: 529, errorType: "overloaded_error")
    static let unauthorized = Failure(outcome: .upstream, retryable: false, status: 401, errorType: "authentication_error")
    static let readTimeout = Failure(outcome: .upstream, retryable: true, transport: .firstByteTimeout)

    func machine(
        _ world: World, method: String = "POST", path: String = "/v1/messages", home: String? = nil,
        hedge: Bool = true
    ) -> CallMachine {
        CallMachine(
            facts: CallMachine.Facts(
                model: "claude-x", method: method, path: path, bodyBytes: 100, maxTokens: 64,
                deadline: world.now.adding(seconds: 30),
                replay: ReplaySafety.of(method: method, path: path), hedgeAllowed: hedge,
                home: home, objectDescription: "batch msgbatch_1"),
            settings: CallMachine.Settings(maxBufferedResponseBytes: 1 << 20, maxConcurrencyWait: 5))
    }

    /// The dispatch of the only `.send` among `actions`.
    func sent(_ actions: [CallMachine.Action]) -> CallMachine.Dispatch? {
        let sends = actions.compactMap { action -> CallMachine.Dispatch? in
            if case .send(let dispatch) = action { return dispatch }
            return nil
        }
        return sends.count == 1 ? sends[0] : nil
    }

    /// Starts the call and expects it to wait for its paced slot, its timer set `seconds` ahead
    /// (the slot itself, or its next look at another limit group): the dispatch and when its
    /// slot comes.
    func pacedWait(_ call: inout CallMachine, _ world: World, seconds: Double) -> (CallMachine.Dispatch, MonotonicInstant)? {
        guard case .schedule(.paced(let dispatch, let due), let after) = call.handle(.start, in: world).last, after == seconds else {
            Issue.record("expected a paced wait of \(seconds) s")
            return nil
        }
        return (dispatch, due)
    }

    /// Two limit groups: the primary's allowance 3 s away, the standby's circuit open for
    /// `openFor` seconds.
    func waitingBehindAnOpenStandby(openFor: Double) -> World {
        let world = World()
        world.regions[1].limitGroup = "standby"
        world.admission = ["primary|claude-x": .wait(seconds: 3)]
        world.circuits = ["secondary": .open(retryAfter: openFor, mode: .reroute, target: "secondary")]
        return world
    }

    /// Sends what the machine asked to send, as the driver would with slots and credentials at hand.
    func send(_ actions: [CallMachine.Action], _ call: inout CallMachine, _ world: World) -> [CallMachine.Action] {
        guard let dispatch = sent(actions) else { return [] }
        return call.handle(.sent(dispatch), in: world)
    }

    @Test func anOverloadedRegionIsLeftForTheOtherAtOnce() {
        let world = World()
        var call = machine(world)
        _ = send(call.handle(.start, in: world), &call, world)
        #expect(call.attempt(1).region.name == "primary")
        #expect(call.handle(.head(attempt: 1, status: 529, isEventStream: false, contentLength: 80), in: world) == [.buffer(1)])
        let retry = call.handle(.completed(attempt: 1, failure: Self.overloaded), in: world)
        #expect(retry == [.schedule(.retry, after: 0)])
        let next = call.handle(.timerFired(.retry), in: world)
        #expect(sent(next)?.region.name == "secondary")
        let noted = call.handle(.sent(sent(next)!), in: world)
        #expect(noted.contains(.note(.retrySent(region: "secondary", reason: "529"))))
        _ = call.handle(.head(attempt: 2, status: 200, isEventStream: false, contentLength: 500), in: world)
        #expect(call.handle(.completed(attempt: 2, failure: nil), in: world) == [.commitBuffered(2)])
        #expect(call.finished && call.committed == 2 && call.firstRegion == "primary")
    }

    /// A Bedrock or Vertex region whose own account yields no credential: the request moves to
    /// the next region, its reserved allowance handed back, and never returns there.
    @Test func aCloudRegionWithoutItsCredentialIsLeftForTheNext() {
        let world = World()
        var call = machine(world)
        let first = sent(call.handle(.start, in: world))!
        #expect(first.region.name == "primary")
        let next = call.handle(.credentialsUnavailable(first, reason: "no AWS credentials", regionOnly: true), in: world)
        #expect(sent(next)?.region.name == "secondary")
        #expect(world.released == [first.charge])
        _ = call.handle(.sent(sent(next)!), in: world)
        _ = call.handle(.head(attempt: 1, status: 200, isEventStream: false, contentLength: 500), in: world)
        #expect(call.handle(.completed(attempt: 1, failure: nil), in: world) == [.commitBuffered(1)])
        #expect(call.attempt(1).region.name == "secondary")
    }

    /// The gateway's one credential (a static key, OAuth) missing fails every region alike:
    /// 401 at once; and a cloud region's own with no other region left does too.
    @Test func aMissingSharedCredentialOrTheLastRegionsOwnIsA401() {
        for (regionOnly, regions) in [(false, 2), (true, 1)] {
            let world = World()
            world.regions = Array(world.regions.prefix(regions))
            var call = machine(world)
            let first = sent(call.handle(.start, in: world))!
            let actions = call.handle(.credentialsUnavailable(first, reason: "no key", regionOnly: regionOnly), in: world)
            #expect(
                actions == [.fail(AnthropicError(.authentication, "no key"), retryAfter: nil, retryAfterMilliseconds: nil)],
                "regionOnly \(regionOnly), \(regions) regions")
            #expect(call.finished)
        }
    }

    @Test func whenEveryRegionFailsTheLastErrorIsRelayedAsTheUpstreamSentIt() {
        let world = World()
        world.retryBudget = 0
        var call = machine(world)
        _ = send(call.handle(.start, in: world), &call, world)
        _ = call.handle(.head(attempt: 1, status: 529, isEventStream: false, contentLength: 80), in: world)
        #expect(call.handle(.completed(attempt: 1, failure: Self.overloaded), in: world) == [.schedule(.retry, after: 0)])
        _ = send(call.handle(.timerFired(.retry), in: world), &call, world)
        _ = call.handle(.head(attempt: 2, status: 529, isEventStream: false, contentLength: 80), in: world)
        #expect(call.handle(.completed(attempt: 2, failure: Self.overloaded), in: world) == [.relay(2)])
        #expect(call.finished && call.lastFailure == 2)
    }

    @Test func pacingThatCannotServeInTimeRefusesAtOnceWithTheBucketsWait() {
        let world = World()
        world.admission = ["primary|claude-x": .reject(retryAfter: 2.25), "secondary|claude-x": .reject(retryAfter: 2.25)]
        var call = machine(world)
        let actions = call.handle(.start, in: world)
        #expect(actions.contains(.note(.pacingRejected(oversubscribed: false))))
        #expect(
            actions.last
                == .fail(
                    AnthropicError(.rateLimit, "the upstream's rate limit is reached; Ballast is pacing requests, retry after 3s"),
                    retryAfter: 3, retryAfterMilliseconds: 2250))
        #expect(call.finished && call.attempts.isEmpty)
    }

    @Test func aRegionThatMustWaitSpillsToOneThatCanSendNow() {
        let world = World()
        world.admission = ["primary|claude-x": .wait(seconds: 0.4)]
        var call = machine(world)
        #expect(sent(call.handle(.start, in: world))?.region.name == "secondary")
        #expect(call.firstRegion == "secondary")
    }

    @Test func aPacedWaitSendsWhenItsSlotComesAndNotAfterTheClientLeft() {
        let world = World()
        world.admission = ["primary|claude-x": .wait(seconds: 0.4), "secondary|claude-x": .wait(seconds: 0.4)]
        var call = machine(world)
        let first = call.handle(.start, in: world)
        guard case .schedule(.paced(let dispatch, let due), let after) = first.last else {
            Issue.record("expected a paced wait, got \(first)")
            return
        }
        // One limit group: nowhere else to look, it waits for its slot.
        #expect(after == 0.4 && dispatch.region.name == "primary" && due == world.now.adding(seconds: 0.4))
        var grouped = machine(world)
        world.regions[1].limitGroup = "standby"
        // Two groups: it looks for a region that can send now every 0.25 s until its slot is due.
        guard case .schedule(.paced(_, _), 0.25) = grouped.handle(.start, in: world).last else {
            Issue.record("expected a look elsewhere after 0.25 s")
            return
        }
        var gone = call
        #expect(gone.handle(.clientGone, in: world) == [.stopWaitingForSlot, .cancel(.retry), .record])
        #expect(gone.handle(.timerFired(.paced(dispatch, due: due)), in: world).isEmpty)
        world.advance(0.25)
        #expect(
            call.handle(.timerFired(.paced(dispatch, due: due)), in: world) == [.schedule(.paced(dispatch, due: due), after: due.seconds(since: world.now))])
        world.advance(0.4 - 0.25)
        #expect(call.handle(.timerFired(.paced(dispatch, due: due)), in: world) == [.send(dispatch)])
        #expect(world.released.isEmpty)
    }

    /// The requests ahead of a waiting one in its region's line left (they spilled to a region
    /// that came back): at its next look it goes at once, keeping its share (nothing is
    /// released), instead of holding a slot behind them while the region idles.
    @Test func aWaitingRequestMovesUpWhenTheLineAheadOfItLeft() {
        let world = waitingBehindAnOpenStandby(openFor: 5)
        var call = machine(world)
        // Another limit group exists: it looks again after 0.25 s, not at its slot.
        guard let (dispatch, due) = pacedWait(&call, world, seconds: 0.25) else { return }
        #expect(dispatch.charge.due == due, "the charge remembers its reserved send time")
        world.advance(0.25)
        #expect(call.handle(.timerFired(.paced(dispatch, due: due)), in: world) == [.schedule(.paced(dispatch, due: due), after: 0.25)])
        world.early = [due]
        world.advance(0.25)
        let moved = call.handle(.timerFired(.paced(dispatch, due: due)), in: world)
        var expected = dispatch
        expected.charge.due = nil
        #expect(moved == [.send(expected)])
        #expect(world.released.isEmpty && call.firstRegion == "primary")
    }

    @Test func aWaitingRequestMovesToARegionThatCameBackAndGivesItsSlotBack() {
        let world = waitingBehindAnOpenStandby(openFor: 2)
        var call = machine(world)
        guard case .schedule(.paced(let dispatch, let due), _) = call.handle(.start, in: world).last else {
            Issue.record("expected a paced wait")
            return
        }
        // Half-open, it is not for a waiting request: its probes come from requests starting.
        world.advance(0.25)
        world.circuits = [:]
        world.halfOpen = ["secondary"]
        let kept = call.handle(.timerFired(.paced(dispatch, due: due)), in: world)
        #expect(kept == [.schedule(.paced(dispatch, due: due), after: 0.25)])
        world.advance(0.25)
        world.halfOpen = []
        let moved = call.handle(.timerFired(.paced(dispatch, due: due)), in: world)
        #expect(sent(moved)?.region.name == "secondary" && world.released == [dispatch.charge])
        #expect(call.firstRegion == "secondary")
    }

    /// Told that a region came back (its circuit closed), a waiting request looks at once, not
    /// at its next look: its paced timer is cancelled and it moves, giving its slot back. Told
    /// of its own region, or once it no longer waits, it does nothing.
    @Test func aWaitingRequestToldARegionCameBackLooksAtOnce() {
        let world = waitingBehindAnOpenStandby(openFor: 2)
        var call = machine(world)
        guard let (dispatch, due) = pacedWait(&call, world, seconds: 0.25) else { return }
        #expect(call.pacedWait?.due == due)
        #expect(call.handle(.regionBack("primary"), in: world).isEmpty, "its own region says nothing new")
        world.advance(0.1)
        world.circuits = [:]
        let moved = call.handle(.regionBack("secondary"), in: world)
        #expect(moved.first == .cancel(.retry))
        #expect(sent(moved)?.region.name == "secondary" && world.released == [dispatch.charge])
        #expect(call.pacedWait == nil)
        #expect(call.handle(.regionBack("secondary"), in: world).isEmpty)
    }

    /// Still no room elsewhere: the look finds none, and the request keeps its place, looking
    /// again as before.
    @Test func aWaitingRequestToldARegionCameBackKeepsItsPlaceWhenItCannotGoThere() {
        let world = World()
        world.regions[1].limitGroup = "standby"
        world.admission = ["primary|claude-x": .wait(seconds: 3), "secondary|claude-x": .wait(seconds: 1)]
        var call = machine(world)
        guard let (dispatch, due) = pacedWait(&call, world, seconds: 0.25) else { return }
        world.advance(0.1)
        let kept = call.handle(.regionBack("secondary"), in: world)
        #expect(kept == [.cancel(.retry), .schedule(.paced(dispatch, due: due), after: 0.25)])
        #expect(call.pacedWait?.due == due && world.released.isEmpty)
    }

    /// Regions of one limit group wait in one line. When a waiting request's slot comes and a
    /// circuit of the group is half-open, the request is its probe: its share is paid in the
    /// group either way, and while the line never empties no request can probe at once.
    @Test func aWaitingRequestWhoseSlotCameProbesAHalfOpenRegionOfItsGroup() {
        let world = World()
        world.sharedPaceKey = "org|claude-x"
        world.admission = ["org|claude-x": .wait(seconds: 3)]
        var call = machine(world)
        guard let (dispatch, due) = pacedWait(&call, world, seconds: 3) else { return }
        #expect(dispatch.region.name == "primary")
        world.advance(3)
        world.halfOpen = ["secondary"]
        let probe = sent(call.handle(.timerFired(.paced(dispatch, due: due)), in: world))
        #expect(probe?.region.name == "secondary" && probe?.isProbe == true && probe?.charge == dispatch.charge)
        #expect(world.released.isEmpty && call.firstRegion == "secondary")
    }

    /// A request that waited for its slot while its region was failed away from (weight 0 in
    /// force) goes to the region of its group the router prefers now, with the same share;
    /// a region still preferred keeps it.
    @Test func aWaitingRequestLeavesARegionFailedAwayFromWhileItWaited() {
        let world = World()
        world.regions[1].weight = 100
        world.sharedPaceKey = "org|claude-x"
        world.admission = ["org|claude-x": .wait(seconds: 3)]
        var call = machine(world)
        guard let (dispatch, due) = pacedWait(&call, world, seconds: 3) else { return }
        world.advance(3)
        world.failedAway = ["primary"]
        let moved = sent(call.handle(.timerFired(.paced(dispatch, due: due)), in: world))
        #expect(moved?.region.name == "secondary" && moved?.isProbe == false && moved?.charge == dispatch.charge)
        #expect(call.firstRegion == "secondary")

        var kept = machine(world)
        world.failedAway = []
        guard let (second, secondDue) = pacedWait(&kept, world, seconds: 3) else { return }
        world.advance(3)
        #expect(kept.handle(.timerFired(.paced(second, due: secondDue)), in: world) == [.send(second)])
    }

    @Test func aSlowFirstAttemptIsHedgedAndTheWinnerStopsTheOther() {
        let world = World()
        world.hedgeAfter = 0.3
        world.hedgeBudget = 1
        var call = machine(world)
        let armed = send(call.handle(.start, in: world), &call, world)
        #expect(armed == [.schedule(.hedge(delay: 0.3), after: 0.3)])
        world.advance(0.3)
        let hedge = call.handle(.timerFired(.hedge(delay: 0.3)), in: world)
        #expect(sent(hedge)?.isHedge == true && sent(hedge)?.region.name == "secondary")
        #expect(call.handle(.sent(sent(hedge)!), in: world) == [.note(.hedgeSent)])
        #expect(call.handle(.head(attempt: 2, status: 200, isEventStream: false, contentLength: 900), in: world) == [.buffer(2)])
        #expect(call.handle(.completed(attempt: 2, failure: nil), in: world) == [.abandon(1), .commitBuffered(2)])
        // The loser's end is no verdict.
        #expect(call.handle(.completed(attempt: 1, failure: nil), in: world).isEmpty)
        #expect(call.lastFailure == nil)
    }

    @Test func noHedgeWhereTheAllowanceBindsButAStallIsStillRescued() {
        let world = World()
        world.hedgeAfter = 0.2
        world.hedgeBudget = 5
        world.stragglerBudget = 5
        world.short = ["primary"]
        var call = machine(world)
        _ = send(call.handle(.start, in: world), &call, world)
        #expect(call.handle(.timerFired(.hedge(delay: 0.2)), in: world) == [.schedule(.straggler(delay: 0.2), after: 0.2 * (CallMachine.secondLook - 1))])
        #expect(call.handle(.timerFired(.straggler(delay: 0.2)), in: world).count == 1)
        #expect(world.hedgeBudget == 5 && world.stragglerBudget == 5)
        #expect(sent(call.handle(.timerFired(.rescue), in: world))?.isHedge == true)

        // Nor does a hedge queue for allowance behind the requests waiting for it.
        world.short = []
        world.admission = ["secondary|claude-x": .wait(seconds: 1)]
        var other = machine(world)
        _ = send(other.handle(.start, in: world), &other, world)
        #expect(other.handle(.timerFired(.hedge(delay: 0.2)), in: world).isEmpty)
    }

    @Test func withTheHedgeBudgetSpentOnlyAStragglerGetsAHedgeFromTheReserve() {
        let world = World()
        world.hedgeAfter = 0.2
        world.stragglerBudget = 1
        var call = machine(world)
        _ = send(call.handle(.start, in: world), &call, world)
        #expect(call.handle(.timerFired(.hedge(delay: 0.2)), in: world) == [.schedule(.straggler(delay: 0.2), after: 0.2 * (CallMachine.secondLook - 1))])
        #expect(sent(call.handle(.timerFired(.straggler(delay: 0.2)), in: world))?.isHedge == true)
        #expect(world.stragglerBudget == 0)
    }

    @Test func aStalledAttemptGetsItsCopyWhateverTheHedgeBudgetSays() {
        let world = World()
        world.hedgeAfter = 0.2
        var call = machine(world)
        _ = send(call.handle(.start, in: world), &call, world)
        // Budget and reserve spent: first the hedge delay, then the straggler check, pass.
        #expect(call.handle(.timerFired(.hedge(delay: 0.2)), in: world) == [.schedule(.straggler(delay: 0.2), after: 0.2 * (CallMachine.secondLook - 1))])
        let later = call.handle(.timerFired(.straggler(delay: 0.2)), in: world)
        #expect(later.count == 1)
        guard case .schedule(.rescue, let after) = later.first else {
            Issue.record("expected the rescue to be scheduled, got \(later)")
            return
        }
        // At five hedge delays from the start (the second look in between), within rounding.
        #expect(abs(0.2 + 0.2 * (CallMachine.secondLook - 1) + after - 1.0) < 1e-9)
        let rescue = call.handle(.timerFired(.rescue), in: world)
        #expect(rescue.first == .note(.stalled(region: "primary")))
        #expect(sent(rescue)?.isHedge == true && sent(rescue)?.region.name == "secondary")
    }

    @Test func aSlowAttemptThatAnsweredIsNotRescued() {
        let world = World()
        world.hedgeAfter = 0.2
        var call = machine(world)
        _ = send(call.handle(.start, in: world), &call, world)
        _ = call.handle(.timerFired(.hedge(delay: 0.2)), in: world)
        _ = call.handle(.head(attempt: 1, status: 200, isEventStream: true, contentLength: nil), in: world)
        #expect(call.handle(.timerFired(.straggler(delay: 0.2)), in: world).isEmpty)
        #expect(call.handle(.timerFired(.rescue), in: world).isEmpty)
    }

    @Test func whenItsRegionGoesOutAStuckAttemptIsCopiedAtOnceButASendOnceWriteIsNot() {
        let world = World()
        var call = machine(world)
        _ = send(call.handle(.start, in: world), &call, world)
        #expect(call.handle(.regionOut("secondary"), in: world).isEmpty)
        let moved = call.handle(.regionOut("primary"), in: world)
        #expect(moved.first == .note(.stalled(region: "primary")) && sent(moved)?.region.name == "secondary")

        var batch = machine(world, path: "/v1/messages/batches")
        _ = send(batch.handle(.start, in: world), &batch, world)
        #expect(batch.handle(.regionOut("primary"), in: world).isEmpty)
    }

    /// A region that accepts the connection and never answers: at `rescueAfter` usual times to
    /// first byte the attempt counts against its region, once, with no hedge armed (the watch
    /// is not hedging's); an attempt that answered in time is never counted, and a copy sent
    /// meanwhile is watched from its own start.
    @Test func anAttemptWithoutAFirstByteFarBeyondTheUsualCountsAgainstItsRegionOnce() {
        let world = World()
        world.usualFirstByte = 0.4
        var call = machine(world)
        let start = world.now
        let first = call.handle(.sent(sent(call.handle(.start, in: world))!), in: world)
        #expect(first == [.schedule(.overdue(attempt: 1), after: 0.4 * CallMachine.rescueAfter)])
        world.advance(0.4 * CallMachine.rescueAfter)
        // The note says when the answer was due (one usual time after the start): where the
        // driver counts the failure when it is old news.
        #expect(
            call.handle(.timerFired(.overdue(attempt: 1)), in: world)
                == [.note(.firstByteOverdue(attempt: 1, region: "primary", answerDue: start.adding(seconds: 0.4)))])
        #expect(call.attempt(1).overdue)
        // Its region goes out: the copy elsewhere is watched from its own start.
        let moved = call.handle(.regionOut("primary"), in: world)
        world.advance(0.5)
        #expect(call.handle(.sent(sent(moved)!), in: world) == [.schedule(.overdue(attempt: 2), after: 2), .note(.hedgeSent)])
        // The copy answers in time: nothing more is counted, and the end cancels the watch.
        _ = call.handle(.head(attempt: 2, status: 200, isEventStream: false, contentLength: 100), in: world)
        world.advance(2)
        #expect(call.handle(.timerFired(.overdue(attempt: 2)), in: world).isEmpty)
        #expect(call.handle(.completed(attempt: 2, failure: nil), in: world) == [.abandon(1), .commitBuffered(2)])
        #expect(!call.attempt(2).overdue)
    }

    /// Unknown usual times (too few first bytes seen) arm no watch: nothing is overdue.
    @Test func noAttemptIsOverdueWhileTheUsualTimeIsUnknown() {
        let world = World()
        var call = machine(world)
        #expect(call.handle(.sent(sent(call.handle(.start, in: world))!), in: world).isEmpty)
    }

    @Test func aStreamCommitsAtItsFirstContentAndAnErrorBeforeThatIsRetried() {
        let world = World()
        var call = machine(world)
        _ = send(call.handle(.start, in: world), &call, world)
        #expect(call.handle(.head(attempt: 1, status: 200, isEventStream: true, contentLength: nil), in: world) == [.hold(1)])
        // An `error` event while held: the driver judged it; nothing reached the client.
        let streamError = Failure(outcome: .upstream, retryable: true, errorType: "overloaded_error", errorMessage: "Overloaded")
        #expect(call.handle(.completed(attempt: 1, failure: streamError), in: world) == [.schedule(.retry, after: 0)])
        _ = send(call.handle(.timerFired(.retry), in: world), &call, world)
        #expect(call.handle(.head(attempt: 2, status: 200, isEventStream: true, contentLength: nil), in: world) == [.hold(2)])
        #expect(call.handle(.released(attempt: 2), in: world) == [.commitStream(2)])
        #expect(!call.finished)
        #expect(call.handle(.committedStreamEnded(attempt: 2), in: world) == [.record])
        #expect(call.finished)
    }

    @Test func a401IsReplayedOnceAfterARefreshAndThenRelayed() {
        let world = World()
        var call = machine(world)
        _ = send(call.handle(.start, in: world), &call, world)
        _ = call.handle(.head(attempt: 1, status: 401, isEventStream: false, contentLength: 80), in: world)
        let replay = call.handle(.completed(attempt: 1, failure: Self.unauthorized), in: world)
        #expect(sent(replay)?.region.name == "primary" && world.refreshes == 1)
        _ = call.handle(.sent(sent(replay)!), in: world)
        _ = call.handle(.head(attempt: 2, status: 401, isEventStream: false, contentLength: 80), in: world)
        #expect(call.handle(.completed(attempt: 2, failure: Self.unauthorized), in: world) == [.relay(2)])
        #expect(world.refreshes == 1)
    }

    @Test func aBatchCreationThatMayHaveArrivedIsNotSentAgain() {
        let world = World()
        world.hedgeAfter = 0.1
        world.hedgeBudget = 5
        var call = machine(world, path: "/v1/messages/batches")
        // Never hedged: no hedge timer is armed.
        #expect(send(call.handle(.start, in: world), &call, world).isEmpty)
        let actions = call.handle(.completed(attempt: 1, failure: Self.readTimeout), in: world)
        #expect(actions.first == .note(.retryWithheld(region: "primary")))
        guard case .fail(let error, _, _) = actions.last else {
            Issue.record("expected an error answer, got \(actions)")
            return
        }
        #expect(error.type == .timeout && error.message.contains("not retried: POST /v1/messages/batches may have reached the upstream"))
    }

    @Test func openCircuitsEverywhereFailFastWithTheirRetryAfter() {
        let world = World()
        world.circuits = [
            "primary": .open(retryAfter: 4.2, mode: .reroute, target: "primary"),
            "secondary": .open(retryAfter: 7, mode: .reroute, target: "secondary"),
        ]
        var call = machine(world)
        #expect(
            call.handle(.start, in: world) == [
                .fail(
                    AnthropicError(.overloaded, "the circuit for secondary is open"),
                    retryAfter: 7, retryAfterMilliseconds: nil)
            ])
    }

    @Test func aModelCircuitOpenEverywhereFallsBackOnce() {
        let world = World()
        world.circuits = ["primary": .open(retryAfter: 3, mode: .fallback, target: "claude-x")]
        world.fallbackModels = ["claude-x": "claude-y"]
        var call = machine(world)
        let actions = call.handle(.start, in: world)
        // The world's admission does not look at the model: the fallback takes the next region.
        #expect(sent(actions)?.region.name == "secondary")
        #expect(call.facts.model == "claude-y")
    }

    @Test func aBatchIsAskedOnlyInItsHomeRegion() {
        let world = World()
        world.drained = ["secondary"]
        var call = machine(world, method: "GET", path: "/v1/messages/batches/msgbatch_1", home: "secondary")
        #expect(
            call.handle(.start, in: world) == [
                .fail(
                    AnthropicError(
                        .api, "batch msgbatch_1 was created in region secondary, which is drained; no other region knows it, retry later", status: 503),
                    retryAfter: nil, retryAfterMilliseconds: nil)
            ])
    }

    @Test func aRequestAtAFullRegionWaitsForASlotWithinItsPatience() {
        let world = World()
        var call = machine(world)
        let dispatch = sent(call.handle(.start, in: world))!
        #expect(call.handle(.atConcurrencyLimit(dispatch), in: world) == [.waitForSlot(dispatch), .schedule(.slotPatience(dispatch), after: 5)])
        world.advance(2)
        #expect(call.handle(.slotFreed(dispatch), in: world) == [.cancel(.retry), .send(dispatch)])
        // Still full: the patience left is what remains of the first 5 s.
        #expect(call.handle(.atConcurrencyLimit(dispatch), in: world) == [.waitForSlot(dispatch), .schedule(.slotPatience(dispatch), after: 3)])
        world.advance(3)
        let refused = call.handle(.atConcurrencyLimit(dispatch), in: world)
        #expect(refused.first == .note(.concurrencyRejected) && call.finished)
    }

    @Test func theClientLeavingStopsEveryAttemptAndARunningStreamRecordsWhenItEnds() {
        let world = World()
        var call = machine(world)
        _ = send(call.handle(.start, in: world), &call, world)
        _ = call.handle(.head(attempt: 1, status: 200, isEventStream: true, contentLength: nil), in: world)
        _ = call.handle(.released(attempt: 1), in: world)
        #expect(call.handle(.clientGone, in: world) == [.stopWaitingForSlot, .abandon(1)])
        #expect(call.handle(.committedStreamEnded(attempt: 1), in: world) == [.record])
        #expect(call.handle(.clientGone, in: world).isEmpty)
    }
}
