public import BallastCore
public import Resilience
import Rules

/// The decisions of one client request on its way through Ballast, as a value: it takes
/// events (start, an answer's head, an attempt's end, a timer, a slot freed, credentials
/// ready, the client gone) and returns the actions to carry out, in order (send to a region,
/// schedule, abandon, commit, respond, record).
///
/// It does no I/O and reads no clock: what it needs of the gateway it asks a `CallWorld`,
/// at the world's time. `ProxiedCall` drives it on the upstream loop thread with libcurl
/// transfers; `CapacitySimulation` drives the same machine against simulated regions on a
/// manual clock, so the decisions the benchmark judges are the ones the proxy makes.
///
/// Attempts are numbered from 1 in launch order; `attempts[n - 1]` is attempt `n`.
public struct CallMachine: Sendable {
    /// What the machine knows of the request, decided once at the front door.
    public struct Facts: Sendable {
        /// The `model` field; a fallback rewrites it.
        public var model: String?
        public var method: String
        /// The path without its query.
        public var path: String
        public var bodyBytes: Int
        public var maxTokens: Int?
        /// When the client stops waiting (see `RequestDeadline`).
        public var deadline: MonotonicInstant
        public var replay: ReplaySafety
        /// False when the client sent `x-ballast-hedge: off`.
        public var hedgeAllowed: Bool
        /// The region that created the batch or file this request uses: only it is asked.
        public var home: String?
        /// How an error names that object ("batch msgbatch_…").
        public var objectDescription: String

        public init(
            model: String?, method: String, path: String, bodyBytes: Int, maxTokens: Int?,
            deadline: MonotonicInstant, replay: ReplaySafety, hedgeAllowed: Bool, home: String? = nil,
            objectDescription: String = "this object"
        ) {
            self.model = model
            self.method = method
            self.path = path
            self.bodyBytes = bodyBytes
            self.maxTokens = maxTokens
            self.deadline = deadline
            self.replay = replay
            self.hedgeAllowed = hedgeAllowed
            self.home = home
            self.objectDescription = objectDescription
        }
    }

    public struct Settings: Sendable {
        /// Answers with a length up to this are buffered whole (a failed one can be replaced).
        public var maxBufferedResponseBytes: Int
        /// The longest a request waits in line for a region's concurrency slot.
        public var maxConcurrencyWait: Double

        public init(maxBufferedResponseBytes: Int, maxConcurrencyWait: Double) {
            self.maxBufferedResponseBytes = maxBufferedResponseBytes
            self.maxConcurrencyWait = maxConcurrencyWait
        }
    }

    /// Where an attempt is to go, and what pacing charged for it there.
    public struct Dispatch: Sendable, Equatable {
        public var region: Region
        public var charge: PacingCharge
        public var isHedge: Bool
        /// A probe of a half-open circuit: never hedged. A copy that wins elsewhere cancels the
        /// probe, and a cancelled attempt tells the circuit nothing: a stalled region's probes
        /// all vanished so, and its circuit stayed half-open until the permits timed out (30 s,
        /// in the capacity simulation). Unhedged, a stuck probe falls overdue and counts as
        /// failed; the circuit opens again and the request moves (`Event.regionOut`).
        public var isProbe = false
    }

    /// What the machine knows of one attempt.
    public struct AttemptState: Sendable {
        public let index: Int
        public let region: Region
        public let isHedge: Bool
        /// The key hedging learns per (region and model).
        public let hedgeKey: String
        public let charge: PacingCharge
        public let startedAt: MonotonicInstant
        /// Sent as the probe of a half-open circuit (`Dispatch.isProbe`): its end is news for
        /// that circuit, and the driver tells the rules at once (`probeAnswered`).
        public let isProbe: Bool
        /// When its answer was due (one usual time to first byte after it started) and when
        /// it is overdue (`rescueAfter` usual times); nil while the region's usual time is not known.
        public let answerDueAt: MonotonicInstant?
        public let overdueAt: MonotonicInstant?
        /// Its first byte became overdue, and its region was told (`Note.firstByteOverdue`).
        public internal(set) var overdue = false
        public internal(set) var isLive = true
        /// The answer's status, once its head arrived.
        public internal(set) var status: Int?
        public internal(set) var failure: Failure?
        /// Stopped by Ballast: it lost a hedge race, or the client left.
        public internal(set) var abandoned = false
    }

    /// A call has two timer slots; scheduling one replaces what it held.
    public enum TimerSlot: Sendable, Equatable {
        /// A retry's backoff, a paced wait, or the patience of a wait for a slot.
        case retry
        /// The hedge delay, then the straggler check.
        case hedge
        /// The next attempt whose first byte falls overdue.
        case overdue
    }

    public enum Timer: Sendable, Equatable {
        /// Launch the next attempt.
        case retry
        /// Pacing reserved a slot for this dispatch at `due`: send it then without asking
        /// again, or earlier elsewhere (see `lookElsewhereEvery`).
        case paced(Dispatch, due: MonotonicInstant)
        /// Waited long enough for a concurrency slot: send anyway.
        case slotPatience(Dispatch)
        /// The first attempt is slower than the hedge delay.
        case hedge(delay: Double)
        /// The hedge budget was spent; a straggler may still get one from the reserve.
        case straggler(delay: Double)
        /// Still no first byte, far beyond the usual: the attempt is stuck (see `rescueAfter`).
        case rescue
        /// Attempt n still has no first byte at its `overdueAt`.
        case overdue(attempt: Int)

        public var slot: TimerSlot {
            switch self {
            case .retry, .paced, .slotPatience: .retry
            case .hedge, .straggler, .rescue: .hedge
            case .overdue: .overdue
            }
        }
    }

    /// Counted by the driver in its metrics.
    public enum Note: Sendable, Equatable {
        case hedgeSent
        case retrySent(region: String, reason: String)
        case pacingRejected(oversubscribed: Bool)
        case concurrencyRejected
        case retryWithheld(region: String)
        /// An attempt to this region was stuck (no first byte far beyond the usual, or its
        /// region went out) and a copy went elsewhere, outside the hedge budget.
        case stalled(region: String)
        /// Attempt n has had no first byte for `rescueAfter` usual times to first byte: a region
        /// that accepts connections but stops answering fails this way, and the driver counts it
        /// as a failure of the region for the rules now, not when (or if) the attempt ends;
        /// at `answerDue` instead when the region has answered a later attempt since (the
        /// stall is over, and the news is old: `CallPolicy.regionAnswered(_:after:)`).
        /// Once per attempt; whatever the attempt does later is not counted again.
        case firstByteOverdue(attempt: Int, region: String, answerDue: MonotonicInstant)
    }

    public enum Action: Sendable, Equatable {
        /// Take a concurrency slot and credentials, then start the attempt (report `.sent`,
        /// `.atConcurrencyLimit` or what the credentials said).
        case send(Dispatch)
        /// Queue for the region's next free slot (report `.slotFreed`).
        case waitForSlot(Dispatch)
        /// Leave every slot queue.
        case stopWaitingForSlot
        case schedule(Timer, after: Double)
        case cancel(TimerSlot)
        /// Stop attempt n's transfer.
        case abandon(Int)
        /// Collect attempt n's whole body.
        case buffer(Int)
        /// Hold attempt n's event stream back until its first content event (report `.released`).
        case hold(Int)
        /// Attempt n's answer goes to the client as a stream, from now.
        case commitStream(Int)
        /// Attempt n's whole answer goes to the client; the request is over: record it first.
        case commitBuffered(Int)
        /// Attempt n's error answer goes to the client as the upstream sent it; record it first.
        case relay(Int)
        /// Ballast's own error answer; record it first.
        case fail(AnthropicError, retryAfter: Int?, retryAfterMilliseconds: Int?)
        /// The request is over without a new answer (the client left, a stream ended): record it.
        case record
        case note(Note)
    }

    public enum Event: Sendable, Equatable {
        case start
        case timerFired(Timer)
        case slotFreed(Dispatch)
        case atConcurrencyLimit(Dispatch)
        case credentialsReady(Dispatch)
        /// No credential for the dispatch. `regionOnly`: the credential is the region's own
        /// (a Bedrock or Vertex account), so other regions may still have theirs.
        case credentialsUnavailable(Dispatch, reason: String, regionOnly: Bool = false)
        /// The dispatch is on its way: it becomes attempt `attempts.count` (1-based).
        case sent(Dispatch)
        case head(attempt: Int, status: Int, isEventStream: Bool, contentLength: Int?)
        /// A held stream reached content (or held too much): it may go to the client.
        case released(attempt: Int)
        /// An attempt's transfer ended. `failure` is the driver's verdict (nil: a complete
        /// answer, or one Ballast stopped without a verdict).
        case completed(attempt: Int, failure: Failure?)
        /// The committed stream ended, well or not.
        case committedStreamEnded(attempt: Int)
        /// The region's circuit opened: an attempt waiting there for its first byte is stuck.
        case regionOut(String)
        /// The region's circuit closed: a request waiting for its paced slot elsewhere looks now
        /// whether it can go there (as its next look would, up to `lookElsewhereEvery` later).
        /// The driver tells the waiting calls oldest slot first, so the region's allowance goes
        /// to the requests that have waited longest.
        case regionBack(String)
        /// Answered without an attempt (the shared cache, a coalesced leader's answer).
        case answeredElsewhere
        case clientGone
    }

    public private(set) var facts: Facts
    public let settings: Settings
    public private(set) var attempts: [AttemptState] = []
    /// The attempt whose answer the client gets.
    public private(set) var committed: Int?
    /// The attempt that failed last.
    public private(set) var lastFailure: Int?
    /// The region the request was first meant for (a spill moves it).
    public private(set) var firstRegion: String?
    /// No decision is left to make: the request is answered or abandoned.
    public private(set) var finished = false
    public private(set) var clientGone = false
    private var tried: Set<String> = []
    /// Regions whose own credential could not be had for this request: never tried again.
    private var withoutCredential: Set<String> = []
    /// Regions skipped because a circuit the request passes through was open.
    private var skippedOpen: Set<String> = []
    private var armed: Set<TimerSlot> = []
    /// The paced wait in progress: the timer that ends it (in the `.retry` slot).
    public private(set) var pacedWait: (dispatch: Dispatch, due: MonotonicInstant)?
    private var replayedAfter401 = false
    /// A fallback map can have cycles: a request falls back at most once.
    private var fellBack = false
    /// True once the request has counted toward its model's demand (its first admission).
    private var demandCounted = false
    private var waitingForSlotSince: MonotonicInstant?

    /// Waits for rate allowance longer than this send the request to another region that
    /// has allowance now, when there is one (a standby's own capacity serves the excess).
    static let spillThreshold = 0.05
    /// A request waiting for its paced slot looks this often for a region of another limit
    /// group that can send it now, so that requests queued at a standby while the primary was
    /// out do not keep their places there after it came back. The capacity simulation's model
    /// of the proxy did this before the proxy did; its region-down p99 (1.54x the oracle's
    /// bound then, 1.60x with the proxy's own decisions) was measured with it.
    static let lookElsewhereEvery = 0.25

    public init(facts: Facts, settings: Settings) {
        self.facts = facts
        self.settings = settings
    }

    public func attempt(_ index: Int) -> AttemptState { attempts[index - 1] }

    /// Whether another attempt may still start.
    private var mayLaunch: Bool { !finished && !clientGone && committed == nil }

    // MARK: Events

    public mutating func handle(_ event: Event, in world: some CallWorld) -> [Action] {
        switch event {
        case .start:
            return launch(isHedge: false, world)
        case .timerFired(let timer):
            armed.remove(timer.slot)
            if timer.slot == .retry { pacedWait = nil }
            return fired(timer, world)
        case .slotFreed(let dispatch):
            guard mayLaunch else { return [] }
            armed.remove(.retry)
            pacedWait = nil
            return [.cancel(.retry), .send(Dispatch(region: dispatch.region, charge: dispatch.charge, isHedge: false))]
        case .atConcurrencyLimit(let dispatch):
            return atConcurrencyLimit(dispatch, world)
        case .credentialsReady(let dispatch):
            return mayLaunch ? [.send(dispatch)] : []
        case .credentialsUnavailable(let dispatch, let reason, let regionOnly):
            guard mayLaunch, !dispatch.isHedge else { return [] }
            if regionOnly, facts.home == nil {
                // A cloud region's own account failing says nothing of the other regions: the
                // request goes on to one not tried yet (its reserved allowance handed back), and
                // never comes back to this one. Only when none is left does the client hear 401.
                world.release(dispatch.charge)
                withoutCredential.insert(dispatch.region.name)
                if hasUntriedServableRegion(world) { return launch(isHedge: false, world) }
            }
            return fail(AnthropicError(.authentication, reason))
        case .sent(let dispatch):
            return sent(dispatch, world)
        case .head(let index, let status, let isEventStream, let contentLength):
            return head(index, status: status, isEventStream: isEventStream, contentLength: contentLength)
        case .released(let index):
            guard committed == nil, !finished else { return committed == index ? [] : abandon(index) }
            return commit(index, action: .commitStream(index))
        case .completed(let index, let failure):
            return completed(index, failure: failure, world)
        case .committedStreamEnded(let index):
            attempts[index - 1].isLive = false
            return finished ? [] : end([.record])
        case .regionOut(let region):
            guard let stuck = attempts.first(where: { $0.isLive && $0.status == nil && $0.region.name == region }) else { return [] }
            return rescue(stuck, world)
        case .regionBack(let region):
            // The look the paced timer would make, made now; the timer it replaces is cancelled.
            guard let (dispatch, due) = pacedWait, dispatch.region.name != region else { return [] }
            armed.remove(.retry)
            pacedWait = nil
            return [.cancel(.retry)] + fired(.paced(dispatch, due: due), world)
        case .answeredElsewhere:
            finished = true
            return []
        case .clientGone:
            return clientLeft()
        }
    }

    private mutating func fired(_ timer: Timer, _ world: some CallWorld) -> [Action] {
        switch timer {
        case .retry:
            return launch(isHedge: false, world)
        case .paced(let dispatch, let due):
            guard mayLaunch else { return [] }
            let left = due.seconds(since: world.now)
            guard left > 0.001 else { return [.send(regionAtDue(dispatch, world))] }
            // The requests ahead of it in this region's line left it (spilled to a region that
            // came back, giving their shares back): it moves up rather than keep a slot behind
            // them while the region idles. In the capacity simulation's region-down scenario the
            // standby had 165 requests waiting and 5 in flight for two seconds after the primary
            // came back.
            if world.sendEarly(dispatch.charge) {
                var moved = dispatch
                moved.charge.due = nil
                return [.send(regionAtDue(moved, world))]
            }
            // A region of another limit group that can send now (one that came back, say)
            // takes the request, and the reserved slot goes back.
            if facts.home == nil, let spill = spillRegion(world, outside: dispatch.region.limitGroup) {
                world.release(dispatch.charge)
                if firstRegion == dispatch.region.name { firstRegion = spill.region.name }
                tried.remove(dispatch.region.name)
                return [.send(Dispatch(region: spill.region, charge: spill.charge, isHedge: dispatch.isHedge))]
            }
            return schedule(.paced(dispatch, due: due), after: min(left, Self.lookElsewhereEvery))
        case .slotPatience(let dispatch):
            guard mayLaunch else { return [] }
            return [.stopWaitingForSlot, .send(Dispatch(region: dispatch.region, charge: dispatch.charge, isHedge: false))]
        case .hedge(let delay):
            guard mayLaunch, liveCount == 1 else { return [] }
            // Where the allowance binds, a hedge spends a request's share of it: a plain client
            // would have served another request with it (fault-free random scenarios of the
            // capacity simulation, seeds 5, 21 and 274, fell about 1 % below no gateway).
            let short = attempts.first(where: \.isLive).map { world.isAllowanceShort(region: $0.region) } ?? false
            if !short, world.mayHedge() { return launch(isHedge: true, world) }
            // The budget's share for this look is spent (or the allowance binds): look again
            // a little later, when most ordinary answers are in, and then for a stall, which
            // is rescued in any case.
            return schedule(.straggler(delay: delay), after: delay * (Self.secondLook - 1))
        case .straggler(let delay):
            guard mayLaunch, liveCount == 1, attempts.allSatisfy({ $0.status == nil }) else { return [] }
            let short = attempts.first(where: \.isLive).map { world.isAllowanceShort(region: $0.region) } ?? false
            if !short, world.mayHedgeStraggler() { return launch(isHedge: true, world) }
            // The reserve went to the slow tail too: a stall still gets its copy, later.
            return schedule(.rescue, after: delay * (Self.rescueAfter - Self.secondLook))
        case .rescue:
            guard let stuck = attempts.first(where: { $0.isLive }) else { return [] }
            return rescue(stuck, world)
        case .overdue(let index):
            var actions: [Action] = []
            let attempt = attempts[index - 1]
            if attempt.isLive, !attempt.abandoned, attempt.status == nil, !attempt.overdue {
                attempts[index - 1].overdue = true
                actions.append(
                    .note(.firstByteOverdue(attempt: index, region: attempt.region.name, answerDue: attempt.answerDueAt ?? world.now)))
            }
            return actions + watchOverdue(world)
        }
    }

    /// Arms the overdue timer for the live attempt whose first byte falls overdue next, if
    /// none is armed. Independent of hedging and its budget: it is how a stalled region shows
    /// up in its health, not a decision to send a copy.
    private mutating func watchOverdue(_ world: some CallWorld) -> [Action] {
        guard !finished, !armed.contains(.overdue) else { return [] }
        let watched = attempts.compactMap { attempt -> (index: Int, due: MonotonicInstant)? in
            guard attempt.isLive, !attempt.abandoned, attempt.status == nil, !attempt.overdue, let due = attempt.overdueAt else { return nil }
            return (attempt.index, due)
        }
        guard let next = watched.min(by: { $0.due < $1.due }) else { return [] }
        return schedule(.overdue(attempt: next.index), after: next.due.seconds(since: world.now))
    }

    /// The second look at a request still without a first byte, in hedge delays: the ordinary
    /// answers past the p95 mostly come within a few milliseconds of it (tail bench: the
    /// originals that beat their hedge did so by under 40 ms of a 300 ms delay), so those still
    /// waiting 0.15 of a delay later are mostly the slow ones, and may take the whole
    /// budget (`CallPolicy.hedgeSpareAtDelay`) or the straggler reserve.
    static let secondLook = 1.15

    /// An attempt without a first byte after this many hedge delays (the hedge quantile of the
    /// key's times to first byte) is stuck, not slow: the tail bench's slow answers take 4x the
    /// usual time and its stalls 3 s. Hedges and the straggler reserve share a budget of 5 % of
    /// requests that the slow tail can spend; this copy goes whatever the budget says. In the
    /// tail bench it changed nothing measurable (p99.9 0.33x the unprotected path's before and
    /// after, where the reserve still caught the stalls); it is what moves stuck attempts in
    /// the capacity simulation's stalling regions.
    static let rescueAfter = 5.0

    /// Sends a copy of a stuck request elsewhere, whatever the hedge budget says: a request
    /// must not be lost to a stall while another region has room. Pacing still decides.
    private mutating func rescue(_ stuck: AttemptState, _ world: some CallWorld) -> [Action] {
        guard mayLaunch, liveCount == 1, stuck.isLive, stuck.status == nil, facts.hedgeAllowed, facts.replay.mayHedge,
            facts.home == nil, facts.deadline.seconds(since: world.now) > 0
        else { return [] }
        let copy = launch(isHedge: true, rescue: true, world)
        guard copy.contains(where: { if case .send = $0 { true } else if case .schedule(.paced, _) = $0 { true } else { false } }) else {
            return copy
        }
        return [.note(.stalled(region: stuck.region.name))] + copy
    }

    private var liveCount: Int { attempts.count { $0.isLive } }

    // MARK: Choosing a region

    /// Chooses a region and sends an attempt there once pacing allows.
    /// `rescue`: the copy of a stuck attempt, which may wait for allowance as a request does.
    private mutating func launch(isHedge: Bool, rescue: Bool = false, _ world: some CallWorld) -> [Action] {
        guard mayLaunch else { return [] }
        var actions: [Action] = []
        var region: Region?
        var probing = false
        var openCircuit: (retryAfter: Double, target: String)?
        if let home = facts.home {
            // A batch or file exists only in the region that created it.
            switch homeRegion(home, world) {
            case .success(let candidate): region = candidate
            case .failure(let error): return isHedge ? [] : fail(error)
            }
        } else if !isHedge,
            let probe = world.probeRegion(
                model: facts.model,
                among: world.regionNames.filter { !tried.contains($0) && !world.isDrained($0) }),
            let candidate = world.region(named: probe),
            world.hasConcurrencyRoom(region: candidate),
            world.peekAdmission(pacingRequest(for: candidate, isHedge: false, world)) == .now,
            world.admitCircuit(region: candidate.name, model: facts.model) == .go
        {
            // A half-open circuit gets its probes (a failed probe fails over like any attempt),
            // from requests that can go there at once: a probe permit taken by a request that
            // then waits for allowance, or spills to another region, tests nothing, and the
            // circuit stays half-open with no traffic until the permits time out (30 s; in the
            // capacity simulation a recovered region whose limit group was short stayed
            // half-open from 16 s to 47 s, seed 40).
            region = candidate
            probing = true
        }
        while region == nil, let candidate = world.pick(excluding: tried.union(skippedOpen), peek: false) ?? retryRegion(world) {
            guard case .open(let retryAfter, let mode, let target) = world.admitCircuit(region: candidate.name, model: facts.model) else {
                region = candidate
                break
            }
            if mode == .fallback, fallBack(world) {
                // The model's circuit is open everywhere: the same request, for its fallback
                // model, takes this region after all (its own circuits permitting).
                continue
            }
            // An open circuit: route around it, or fail fast when nothing else is left.
            tried.insert(candidate.name)
            skippedOpen.insert(candidate.name)
            openCircuit = (retryAfter, target)
        }
        guard var region else {
            if isHedge { return actions }
            if let openCircuit {
                return fail(
                    AnthropicError(.overloaded, "the circuit for \(openCircuit.target) is open"),
                    retryAfter: max(1, Int(openCircuit.retryAfter.rounded(.up))))
            }
            return fail(AnthropicError(.overloaded, "no upstream region is available"))
        }
        tried.insert(region.name)
        if firstRegion == nil { firstRegion = region.name }
        // A region at its concurrency limit would make the request wait in line for a slot:
        // another region with a free slot and allowance now takes it instead.
        if !isHedge, !world.hasConcurrencyRoom(region: region) {
            if let spill = spillOver(from: region, isHedge: isHedge, world) { return actions + [.send(spill)] }
            // None can send at once: a region with a free slot still beats waiting for one here
            // (regions of one limit group wait alike for allowance, but only this one for a
            // slot: in the capacity simulation, a stalled primary held its slots while requests
            // waited 5 s for them and failed, and the standby had room).
            if facts.home == nil, let roomy = roomyRegion(world) {
                tried.remove(region.name)
                tried.insert(roomy.name)
                if firstRegion == region.name { firstRegion = roomy.name }
                region = roomy
            }
        }
        // Weigh the region before reserving anything in it: a slot reserved here and then not
        // used (the request spilled elsewhere) would leave the region in debt for nothing.
        // Regions of one limit group share their allowance, so only another group can help.
        switch world.peekAdmission(pacingRequest(for: region, isHedge: isHedge, world)) {
        case .wait(let seconds) where seconds > Self.spillThreshold:
            if let spill = spillOver(from: region, isHedge: isHedge, world) { return actions + [.send(spill)] }
        case .reject:
            if let spill = spillOver(from: region, isHedge: isHedge, world) { return actions + [.send(spill)] }
        default:
            break
        }
        let pacing = pacingRequest(for: region, isHedge: isHedge, world)
        // A copy goes only with allowance to spare now, never to wait in the queue of requests.
        if isHedge, !rescue, world.peekAdmission(pacing) != .now { return actions }
        if pacing.demand != nil { demandCounted = true }
        let grant = world.admit(pacing)
        let dispatch = Dispatch(
            region: region, charge: PacingCharge(key: pacing.key, cost: grant.cost), isHedge: isHedge, isProbe: probing)
        switch grant.admission {
        case .now:
            actions.append(.send(dispatch))
        case .wait(let seconds):
            // Looking elsewhere pays only where another limit group exists: regions of one
            // group wait alike, and a look every 0.25 s for each of hundreds of waiting
            // requests is work for the loop thread.
            let look = hasOtherLimitGroup(than: region.limitGroup, world) ? Self.lookElsewhereEvery : seconds
            let due = world.now.adding(seconds: seconds)
            var waiting = dispatch
            waiting.charge.due = due
            actions += schedule(.paced(waiting, due: due), after: min(seconds, look))
        case .reject(let retryAfter):
            if isHedge { return actions }
            actions.append(.note(.pacingRejected(oversubscribed: grant.oversubscribed)))
            actions += rateLimited(retryAfter: retryAfter)
        }
        return actions
    }

    /// Where a request whose paced slot has come goes: its share is paid in its region's limit
    /// group, so any region of that group may take it. The region was chosen when the request
    /// began to wait, up to `max_wait` ago; since then a circuit of the group may have gone
    /// half-open (`probeInstead`), or the region may have been failed away from
    /// (`preferredInstead`).
    private mutating func regionAtDue(_ dispatch: Dispatch, _ world: some CallWorld) -> Dispatch {
        probeInstead(of: dispatch, world) ?? preferredInstead(of: dispatch, world) ?? dispatch
    }

    /// A region of the same limit group the router prefers now, when the request's own region
    /// was failed away from (weight 0, or its circuit open) while it waited. Without it the
    /// line that had formed behind a failover went on to the region failed away from for the
    /// 10 s it took to leave, after a later failover had moved everything else back; that
    /// region then answered 529 to each of them (capacity simulation, seed 120).
    private mutating func preferredInstead(of dispatch: Dispatch, _ world: some CallWorld) -> Dispatch? {
        guard facts.home == nil, !dispatch.isHedge, !dispatch.isProbe,
            world.isStandby(dispatch.region.name) || world.isCircuitOpen(region: dispatch.region.name, model: facts.model)
        else { return nil }
        let otherGroups = world.regionNames.filter { name in
            world.region(named: name).map { world.paceKey(region: $0, model: facts.model) != dispatch.charge.key } ?? true
        }
        guard let candidate = world.pick(excluding: tried.union(skippedOpen).union(otherGroups), peek: false),
            !world.isStandby(candidate.name), !world.isDrained(candidate.name)
        else { return nil }
        return move(dispatch, to: candidate, isProbe: false, world)
    }

    /// A request whose paced slot has come goes as the probe of a half-open circuit of the same
    /// limit group, if one wants probes: its share is paid in that group either way. Probes
    /// otherwise come only from requests that may be sent at once (`launch`), and while the
    /// group's line is never empty there are none: a recovered region stayed half-open with no
    /// traffic for 14 s, while the region serving in its place began to fail every request
    /// (capacity simulation, seed 120).
    private mutating func probeInstead(of dispatch: Dispatch, _ world: some CallWorld) -> Dispatch? {
        guard facts.home == nil, !dispatch.isHedge, !dispatch.isProbe,
            let name = world.probeRegion(
                model: facts.model,
                among: world.regionNames.filter { $0 != dispatch.region.name && !tried.contains($0) && !world.isDrained($0) }),
            let candidate = world.region(named: name),
            world.paceKey(region: candidate, model: facts.model) == dispatch.charge.key
        else { return nil }
        return move(dispatch, to: candidate, isProbe: true, world)
    }

    /// `dispatch`, with its paid share, to `candidate` instead, if it has a free slot and its
    /// circuits let the request through (taking a probe permit when half-open).
    private mutating func move(_ dispatch: Dispatch, to candidate: Region, isProbe: Bool, _ world: some CallWorld) -> Dispatch? {
        guard world.hasConcurrencyRoom(region: candidate), world.admitCircuit(region: candidate.name, model: facts.model) == .go
        else { return nil }
        tried.remove(dispatch.region.name)
        tried.insert(candidate.name)
        if firstRegion == dispatch.region.name { firstRegion = candidate.name }
        return Dispatch(region: candidate, charge: dispatch.charge, isHedge: false, isProbe: isProbe)
    }

    /// What pacing needs to know about an attempt to `region`: its key, the keys of every
    /// region that can serve the model, the seconds left, and (on the request's first
    /// admission only) the model whose demand it counts toward.
    private func pacingRequest(for region: Region, isHedge: Bool, _ world: some CallWorld) -> RatePacer.Request {
        RatePacer.Request(
            key: world.paceKey(region: region, model: facts.model),
            pool: world.pacePool(model: facts.model),
            demand: isHedge || demandCounted ? nil : (facts.model ?? "-"),
            bodyBytes: facts.bodyBytes, maxTokens: facts.maxTokens,
            deadline: facts.deadline.seconds(since: world.now))
    }

    /// The dispatch to a spill region instead of `region`; `region` then counts as not tried
    /// (no attempt went there), so a hedge or a retry may still use it. Nil when no region can
    /// take it now.
    private mutating func spillOver(from region: Region, isHedge: Bool, _ world: some CallWorld) -> Dispatch? {
        guard facts.home == nil, let spill = spillRegion(world) else { return nil }
        tried.remove(region.name)
        if firstRegion == region.name { firstRegion = spill.region.name }
        return Dispatch(region: spill.region, charge: spill.charge, isHedge: isHedge)
    }

    private func hasOtherLimitGroup(than group: String, _ world: some CallWorld) -> Bool {
        world.regionNames.contains { world.region(named: $0)?.limitGroup != group }
    }

    /// Another region, not tried yet (and not of limit group `outside`), whose circuits are
    /// closed, with a free concurrency slot, and whose pacing admits a request at once; nil
    /// when there is none.
    private mutating func spillRegion(_ world: some CallWorld, outside group: String? = nil) -> (region: Region, charge: PacingCharge)? {
        var excluded = tried
        while let candidate = world.pick(excluding: excluded, peek: true) {
            excluded.insert(candidate.name)
            if candidate.limitGroup == group { continue }
            if world.isCircuitOpen(region: candidate.name, model: facts.model) { continue }
            // Nor to a half-open region, whose probes come from requests starting (`launch`):
            // a request leaving its place in a queue for a probe that fails goes back to the end
            // of a queue (in the capacity simulation's region-down scenario the slowest requests
            // had waited at the standby, moved into the primary's probes and failed).
            if world.probeRegion(model: facts.model, among: [candidate.name]) != nil { continue }
            guard world.hasConcurrencyRoom(region: candidate) else { continue }
            var pacing = pacingRequest(for: candidate, isHedge: false, world)
            guard world.peekAdmission(pacing) == .now else { continue }
            if case .open = world.admitCircuit(region: candidate.name, model: facts.model) {
                continue  // a half-open circuit with no probe permit left
            }
            // Only an admission at once is taken here: a spill that would wait is no spill.
            pacing.deadline = 0
            if pacing.demand != nil { demandCounted = true }
            let grant = world.admit(pacing)
            guard grant.admission == .now else { continue }
            tried.insert(candidate.name)
            return (candidate, PacingCharge(key: pacing.key, cost: grant.cost))
        }
        return nil
    }

    /// A region not tried yet, its circuits closed, with a free concurrency slot.
    private func roomyRegion(_ world: some CallWorld) -> Region? {
        var excluded = tried
        while let candidate = world.pick(excluding: excluded, peek: true) {
            excluded.insert(candidate.name)
            if !world.isCircuitOpen(region: candidate.name, model: facts.model), world.hasConcurrencyRoom(region: candidate) {
                return candidate
            }
        }
        return nil
    }

    /// Takes the degradation map's fallback model, once.
    private mutating func fallBack(_ world: some CallWorld) -> Bool {
        guard !fellBack, let model = facts.model, let replacement = world.fallBack(from: model), replacement != model else {
            return false
        }
        facts.model = replacement
        fellBack = true
        return true
    }

    /// The region a batch or file lives in, or why it cannot be asked now. No other region is
    /// asked instead: it does not know the id and would answer 404.
    private func homeRegion(_ name: String, _ world: some CallWorld) -> Result<Region, AnthropicError> {
        let out: String
        if let region = world.region(named: name) {
            if world.isDrained(name) {
                out = "is drained"
            } else if case .open = world.admitCircuit(region: name, model: facts.model) {
                out = "has its circuit open"
            } else {
                return .success(region)
            }
        } else {
            out = "is no longer configured"
        }
        return .failure(
            AnthropicError(
                .api, "\(facts.objectDescription) was created in region \(name), which \(out); no other region knows it, retry later",
                status: 503))
    }

    /// When every region has been tried, a retry goes back to the router's choice among the
    /// regions whose circuits are not open (the ones skipped for open circuits stay out).
    private func retryRegion(_ world: some CallWorld) -> Region? {
        guard !tried.isEmpty, !attempts.isEmpty else { return nil }
        return world.pick(excluding: skippedOpen.union(withoutCredential), peek: false)
    }

    /// True when a region not tried yet could take a retry (its circuits are not open): then
    /// the retry goes there, outside the retry budget.
    private func hasUntriedServableRegion(_ world: some CallWorld) -> Bool {
        guard facts.home == nil else { return false }
        var excluded = tried
        while let candidate = world.pick(excluding: excluded, peek: true) {
            excluded.insert(candidate.name)
            if !world.isCircuitOpen(region: candidate.name, model: facts.model) { return true }
        }
        return false
    }

    // MARK: Sending

    private mutating func atConcurrencyLimit(_ dispatch: Dispatch, _ world: some CallWorld) -> [Action] {
        guard mayLaunch, !dispatch.isHedge else { return [] }
        // Wait in line for a slot rather than pile onto a slowing upstream: the next attempt
        // of this region to end hands its slot on.
        let now = world.now
        let started = waitingForSlotSince ?? now
        waitingForSlotSince = started
        let patience = min(settings.maxConcurrencyWait - now.seconds(since: started), facts.deadline.seconds(since: now))
        guard patience > 0.01 else {
            return [.note(.concurrencyRejected)]
                + fail(AnthropicError(.overloaded, "region \(dispatch.region.name) is at its concurrency limit"))
        }
        return [.waitForSlot(dispatch)] + schedule(.slotPatience(dispatch), after: patience)
    }

    private mutating func sent(_ dispatch: Dispatch, _ world: some CallWorld) -> [Action] {
        precondition(mayLaunch, "an attempt was sent after the call stopped launching")
        waitingForSlotSince = nil
        let index = attempts.count + 1
        let key = world.hedgeKey(region: dispatch.region, model: facts.model)
        let usual = world.usualFirstByte(key: key)
        attempts.append(
            AttemptState(
                index: index, region: dispatch.region, isHedge: dispatch.isHedge, hedgeKey: key,
                charge: dispatch.charge, startedAt: world.now, isProbe: dispatch.isProbe, answerDueAt: usual.map { world.now.adding(seconds: $0) },
                overdueAt: usual.map { world.now.adding(seconds: $0 * Self.rescueAfter) }))
        var actions: [Action] = watchOverdue(world)
        if dispatch.isHedge { actions.append(.note(.hedgeSent)) }
        if index > 1, !dispatch.isHedge, let last = lastFailure, let failure = attempts[last - 1].failure {
            actions.append(.note(.retrySent(region: dispatch.region.name, reason: Self.retryReason(failure))))
        }
        if !dispatch.isHedge, !dispatch.isProbe, facts.hedgeAllowed, facts.replay.mayHedge, facts.home == nil, !armed.contains(.hedge),
            !world.regionNames.isEmpty, let delay = world.hedgeDelay(key: key, model: facts.model)
        {
            actions += schedule(.hedge(delay: delay), after: delay)
        }
        return actions
    }

    // MARK: Answers

    private mutating func head(_ index: Int, status: Int, isEventStream: Bool, contentLength: Int?) -> [Action] {
        attempts[index - 1].status = status
        guard committed == nil, !finished else { return abandon(index) }
        guard (200..<300).contains(status) else { return [.buffer(index)] }
        if isEventStream { return [.hold(index)] }
        if let contentLength, contentLength <= settings.maxBufferedResponseBytes { return [.buffer(index)] }
        return commit(index, action: .commitStream(index))
    }

    /// Attempt `index` wins: every other live attempt is stopped, the hedge timer too.
    private mutating func commit(_ index: Int, action: Action) -> [Action] {
        committed = index
        var actions: [Action] = []
        if armed.remove(.hedge) != nil { actions.append(.cancel(.hedge)) }
        for other in attempts where other.index != index && other.isLive {
            actions += abandon(other.index)
        }
        actions.append(action)
        if case .commitBuffered = action { return end(actions) }
        return actions
    }

    private mutating func completed(_ index: Int, failure: Failure?, _ world: some CallWorld) -> [Action] {
        attempts[index - 1].isLive = false
        attempts[index - 1].failure = failure
        let attempt = attempts[index - 1]
        if attempt.abandoned, failure == nil {
            // Lost a hedge race, or the client left: nothing to judge.
            return clientGone && liveCount == 0 && !finished ? end([.record]) : []
        }
        if failure == nil, attempt.status != nil {
            // A complete 2xx answer (buffered, or a held stream that ended before content).
            guard committed == nil, !finished else { return [] }
            return commit(index, action: .commitBuffered(index))
        }
        return attemptFailed(index, world)
    }

    private mutating func attemptFailed(_ index: Int, _ world: some CallWorld) -> [Action] {
        lastFailure = index
        guard committed == nil, !finished else { return [] }
        if clientGone { return end([.record]) }
        if liveCount > 0 { return [] }  // a sibling (hedge) may still win
        let attempt = attempts[index - 1]
        guard let failure = attempt.failure else { return failWithLastFailure() }
        if failure.isAuthenticationFailure, !replayedAfter401, world.credentialsRefreshed(rejecting: index) {
            // One forced token refresh and one replay, outside the retry budget.
            replayedAfter401 = true
            tried.remove(attempt.region.name)
            return launch(isHedge: false, world)
        }
        guard facts.replay.mayRepeat(after: failure) else {
            // It may have been done upstream: a second copy could do it twice.
            return [.note(.retryWithheld(region: attempt.region.name))] + failWithLastFailure()
        }
        let remaining = facts.deadline.seconds(since: world.now)
        guard
            let delay = world.retryDelay(
                after: failure, nextAttempt: attempts.count + 1, remaining: remaining,
                untriedRegionLeft: hasUntriedServableRegion(world))
        else {
            return failWithLastFailure()
        }
        return schedule(.retry, after: delay)
    }

    private mutating func clientLeft() -> [Action] {
        guard !clientGone else { return [] }
        clientGone = true
        var actions: [Action] = [.stopWaitingForSlot]
        for slot in [TimerSlot.retry, .hedge, .overdue] where armed.remove(slot) != nil { actions.append(.cancel(slot)) }
        pacedWait = nil
        for attempt in attempts where attempt.isLive {
            actions += abandon(attempt.index)
        }
        // A committed stream still running records when it ends.
        if let committed, attempts[committed - 1].isLive { return actions }
        return finished ? actions : end(actions + [.record])
    }

    private mutating func failWithLastFailure() -> [Action] {
        guard let last = lastFailure, let failure = attempts[last - 1].failure else {
            return fail(AnthropicError(.overloaded, "no upstream region is available"))
        }
        if let status = attempts[last - 1].status, !(200..<300).contains(status) {
            // Relay the upstream's own error as it was sent.
            committed = last
            return end([.relay(last)])
        }
        if let transport = failure.transport {
            var error = Self.anthropicError(for: transport)
            if !facts.replay.mayRepeat(after: failure) {
                error.message +=
                    "; not retried: \(facts.method) \(facts.path) may have reached the upstream and is sent at most once, so check before sending it again"
            }
            return fail(error)
        }
        // An SSE error event seen before anything reached the client.
        let type = failure.errorType.flatMap(AnthropicErrorType.init(rawValue:)) ?? .api
        return fail(AnthropicError(type, failure.errorMessage ?? "the upstream stream failed", status: failure.status))
    }

    /// Ballast's own 429: pacing says the upstream would refuse this request now.
    /// `retry-after` carries whole seconds (at least 1, as HTTP wants); `retry-after-ms`, which
    /// the official SDKs read first, carries the true wait for the bucket.
    private mutating func rateLimited(retryAfter: Double) -> [Action] {
        let seconds = max(1, Int(retryAfter.rounded(.up)))
        let milliseconds = max(1, Int((retryAfter * 1000).rounded(.up)))
        return fail(
            AnthropicError(.rateLimit, "the upstream's rate limit is reached; Ballast is pacing requests, retry after \(seconds)s"),
            retryAfter: seconds, retryAfterMilliseconds: milliseconds)
    }

    private mutating func fail(_ error: AnthropicError, retryAfter: Int? = nil, retryAfterMilliseconds: Int? = nil) -> [Action] {
        guard !finished else { return [] }
        return end([.fail(error, retryAfter: retryAfter, retryAfterMilliseconds: retryAfterMilliseconds)])
    }

    /// The request is over: no timer may fire into it any more.
    private mutating func end(_ actions: [Action]) -> [Action] {
        finished = true
        var result: [Action] = []
        for slot in [TimerSlot.retry, .hedge, .overdue] where armed.remove(slot) != nil { result.append(.cancel(slot)) }
        pacedWait = nil
        return result + actions
    }

    /// Stops attempt `index` (once): it lost, or nobody waits for it any more.
    private mutating func abandon(_ index: Int) -> [Action] {
        guard attempts[index - 1].isLive, !attempts[index - 1].abandoned else { return [] }
        attempts[index - 1].abandoned = true
        return [.abandon(index)]
    }

    private mutating func schedule(_ timer: Timer, after seconds: Double) -> [Action] {
        armed.insert(timer.slot)
        if timer.slot == .retry {
            if case .paced(let dispatch, let due) = timer { pacedWait = (dispatch, due) } else { pacedWait = nil }
        }
        return [.schedule(timer, after: seconds)]
    }

    // MARK: Wording

    /// A bounded label for why an attempt was retried.
    static func retryReason(_ failure: Failure) -> String {
        if let transport = failure.transport { return transport.rawValue }
        if let status = failure.status { return String(status) }
        return failure.errorType ?? "other"
    }

    static func anthropicError(for transport: TransportFailure) -> AnthropicError {
        switch transport {
        case .connectFailed, .connectTimeout:
            return AnthropicError(.overloaded, "no upstream region is reachable")
        case .firstByteTimeout, .idleTimeout, .totalTimeout:
            return AnthropicError(.timeout, "the upstream did not answer in time (\(transport.rawValue))")
        case .connectionLost:
            return AnthropicError(.api, "the upstream connection failed", status: 502)
        }
    }
}
