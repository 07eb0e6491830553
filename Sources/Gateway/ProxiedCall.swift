import BallastCore
import Cache
import HTTPServer
import Resilience
import Shared
import Upstream

/// One client request on its way through Ballast: its attempts (first try, retries,
/// hedges) against upstream regions, and the bridge that carries the winning answer back.
///
/// Everything after `start()` runs on the upstream client's loop thread: transfer
/// callbacks, retry and hedge timers, and the client's departure (posted there). That
/// confinement is why this state has no lock.
///
/// Non-streaming answers are buffered and sent with a length, so a failed attempt can still
/// be replaced. SSE streams are held back until their first content event (an early `error`
/// event is then retryable), then relayed chunk by chunk through a bounded
/// `ResponseStream`: a slow client pauses the transfer, a departed one cancels it.
final class ProxiedCall: @unchecked Sendable {
    private let context: ProxyContext
    private(set) var request: CallRequest
    private let responder: HTTPResponder

    private var attempts: [Attempt] = []
    private var committed: Attempt?
    private var tried: Set<String> = []
    /// Regions skipped because a circuit the request passes through was open.
    private var skippedOpen: Set<String> = []
    private var lastFailure: Attempt?
    private var retryTimer: LoopTimer?
    private var hedgeTimer: LoopTimer?
    private var finished = false
    private var clientGone = false
    private var firstRegion: String?
    private var replayedAfter401 = false
    /// A fallback map can have cycles: a request falls back at most once.
    private var fellBack = false
    /// Coalescing: this call leads the identical requests behind it, or follows one.
    private var isCacheLeader = false
    private var isCacheFollower = false
    private var waitingSince: MonotonicInstant?
    /// The shared cache's lock this call holds (it makes the one upstream call for every instance).
    private var sharedLockToken: String?
    /// True once the request has counted toward its model's demand (its first admission).
    private var demandCounted = false
    /// Copies libcurl sent again by itself after a reused connection died (replayable
    /// requests only): each is one more attempt the upstream may have seen.
    private var silentResends = 0
    /// Every copy of the request that may have reached an upstream.
    private var attemptsMade: Int { attempts.count + silentResends }
    private var deadline: MonotonicInstant { request.deadline }

    init(context: ProxyContext, request: CallRequest, responder: HTTPResponder) {
        self.context = context
        self.request = request
        self.responder = responder
    }

    /// Called on the server thread; moves the call onto the loop thread.
    func start() {
        let client = context.client
        responder.onCancel { [self] in client.execute { self.clientLeft() } }
        client.execute { [self] in
            if let cached = request.cache, let cache = context.cache {
                if cache.join(cached.key, self) {
                    isCacheLeader = true
                    if let tier = cache.shared {
                        // Ask the other instances first; the answer comes back on the loop thread.
                        let client = context.client
                        tier.acquire(namespace: Self.sharedNamespace(cached.key), key: cached.key.hex,
                                     maxWait: deadline.seconds(since: now)) { outcome in
                            client.execute { self.sharedCacheAnswered(outcome) }
                        }
                        return
                    }
                } else {
                    // An identical request is in flight: wait for its answer.
                    isCacheFollower = true
                    cache.counters.coalesced.add(1, ordering: .relaxed)
                    return
                }
            }
            context.policy.requestStarted(now: now)
            launch(isHedge: false)
        }
    }

    private var now: MonotonicInstant { context.clock.now() }

    // MARK: Attempts

    /// Chooses a region and sends an attempt there once pacing allows.
    private func launch(isHedge: Bool) {
        guard !finished, !clientGone, committed == nil else { return }
        var region: Region?
        var openCircuit: (retryAfter: Double, target: String)?
        if let home = request.home {
            // A batch or file exists only in the region that created it.
            switch homeRegion(home) {
            case .success(let candidate): region = candidate
            case .failure(let error): return isHedge ? () : finishWithError(error)
            }
        } else if !isHedge, let rules = context.rules.controller,
           let probe = rules.probeRegion(model: request.model,
                                         among: context.router.regions.map(\.name).filter { !tried.contains($0) && !context.router.isDrained($0) }),
           let candidate = context.router.region(named: probe),
           case .go = rules.admit(region: candidate.name, model: request.model) {
            // A half-open circuit gets its probes (a failed probe fails over like any attempt).
            region = candidate
        }
        while region == nil, let candidate = context.router.pick(excluding: tried.union(skippedOpen)) ?? retryRegion() {
            guard let rules = context.rules.controller,
                  case .open(let retryAfter, let mode, let target) = rules.admit(region: candidate.name, model: request.model) else {
                region = candidate
                break
            }
            if mode == .fallback, applyModelFallback(rules) {
                // The model's circuit is open everywhere: the same request, for its fallback
                // model, takes this region after all (its own circuits permitting).
                continue
            }
            // An open circuit: route around it, or fail fast when nothing else is left.
            tried.insert(candidate.name)
            skippedOpen.insert(candidate.name)
            openCircuit = (retryAfter, target)
        }
        guard let region else {
            if isHedge { return }
            if let openCircuit {
                return finishWithError(AnthropicError(.overloaded, "the circuit for \(openCircuit.target) is open"),
                                       retryAfter: max(1, Int(openCircuit.retryAfter.rounded(.up))))
            }
            return finishWithError(AnthropicError(.overloaded, "no upstream region is available"))
        }
        tried.insert(region.name)
        if firstRegion == nil { firstRegion = region.name }
        // A region at its concurrency limit would make the request wait in line for a slot:
        // another region with a free slot and allowance now takes it instead.
        if !isHedge, !context.policy.hasConcurrencyRoom(region: region), spillOver(from: region, isHedge: isHedge) { return }
        // Weigh the region before reserving anything in it: a slot reserved here and then not
        // used (the request spilled elsewhere) would leave the region in debt for nothing.
        // Regions of one limit group share their allowance, so only another group can help.
        switch context.policy.peekAdmission(pacingRequest(for: region, isHedge: isHedge), now: now) {
        case .wait(let seconds) where seconds > Self.spillThreshold:
            if spillOver(from: region, isHedge: isHedge) { return }
        case .reject:
            if spillOver(from: region, isHedge: isHedge) { return }
        default:
            break
        }
        let pacing = pacingRequest(for: region, isHedge: isHedge)
        if pacing.demand != nil { demandCounted = true }
        let grant = context.policy.admit(pacing, now: now)
        let charge = PacingCharge(key: pacing.key, cost: grant.cost)
        switch grant.admission {
        case .now:
            send(to: region, charge: charge, isHedge: isHedge)
        case .wait(let seconds):
            retryTimer = context.client.schedule(after: seconds) { [self] in
                retryTimer = nil
                send(to: region, charge: charge, isHedge: isHedge)
            }
        case .reject(let retryAfter):
            if isHedge { return }
            if grant.oversubscribed {
                context.policy.counters.oversubscribedRejections.add(1, ordering: .relaxed)
            } else {
                context.policy.counters.pacingRejections.add(1, ordering: .relaxed)
            }
            finishRateLimited(retryAfter: retryAfter)
        }
    }

    /// What pacing needs to know about an attempt to `region`: its key, the keys of every
    /// region that can serve the model, the seconds left, and (on the request's first
    /// admission only) the model whose demand it counts toward.
    private func pacingRequest(for region: Region, isHedge: Bool) -> RatePacer.Request {
        RatePacer.Request(key: context.policy.paceKey(region: region, model: request.model),
                          pool: context.policy.pacePool(model: request.model),
                          demand: isHedge || demandCounted ? nil : (request.model ?? "-"),
                          bodyBytes: request.body.count, maxTokens: request.maxTokens,
                          deadline: deadline.seconds(since: now))
    }

    /// Sends an attempt once the region's concurrency limit and the credentials allow.
    private func send(to region: Region, charge: PacingCharge, isHedge: Bool) {
        guard !finished, !clientGone, committed == nil else { return }
        var permit: ConcurrencyLimit.Permit?
        switch context.policy.acquire(region: region, now: now) {
        case .unlimited:
            break
        case .granted(let granted):
            permit = granted
        case .atLimit:
            if isHedge { return }
            // Wait in line for a slot rather than pile onto a slowing upstream: the next
            // attempt of this region to end hands its slot on (SlotWaiters).
            let started = waitingSince ?? now
            waitingSince = started
            let patience = min(context.options.maxConcurrencyWait - now.seconds(since: started), deadline.seconds(since: now))
            guard patience > 0.01 else {
                context.policy.counters.concurrencyRejections.add(1, ordering: .relaxed)
                return finishWithError(AnthropicError(.overloaded, "region \(region.name) is at its concurrency limit"))
            }
            context.slots.enqueue(region: region.name, call: self) { [self] in
                retryTimer?.cancel()
                retryTimer = nil
                send(to: region, charge: charge, isHedge: false)
            }
            retryTimer = context.client.schedule(after: patience) { [self] in
                retryTimer = nil
                context.slots.remove(self)
                send(to: region, charge: charge, isHedge: false)
            }
            return
        }
        waitingSince = nil
        var headers = request.upstreamHeaders
        switch context.credentials.apply(to: &headers, from: request.clientHeaders) {
        case .ready:
            break
        case .wait:
            permit?.ignore()
            let client = context.client
            context.credentials.notifyWhenReady { [self] in
                client.execute { self.send(to: region, charge: charge, isHedge: isHedge) }
            }
            return
        case .unavailable(let reason):
            permit?.ignore()
            if isHedge { return }
            return finishWithError(AnthropicError(.authentication, reason))
        }
        let attempt = Attempt(call: self, region: region, index: attempts.count + 1, isHedge: isHedge,
                              key: context.policy.key(region: region, model: request.model), charge: charge,
                              sentHeaders: headers, permit: permit, startedAt: now)
        if isCacheLeader, request.wantsStream { attempt.assembler = MessageAssembler() }
        attempts.append(attempt)
        if isHedge { context.metrics.hedges.labels("sent").increment() }
        if attempts.count > 1, !isHedge, let reason = lastFailure?.failure.map(Self.retryReason) {
            context.metrics.retries.labels(region.name, reason).increment()
        }
        var timeouts = context.options.timeouts
        timeouts.total = max(0.001, deadline.seconds(since: now))
        let upstream = UpstreamRequest(method: request.method, url: region.baseURL + request.pathAndQuery,
                                       headers: headers, body: request.body, timeouts: timeouts,
                                       silentResend: request.replay == .replayable)
        let transfer = context.client.makeTransfer(upstream, delegate: attempt)
        attempt.transfer = transfer
        context.client.begin(transfer)
        if !isHedge { armHedge(for: attempt) }
    }

    /// Waits for rate allowance longer than this send the request to another region that
    /// has allowance now, when there is one (a standby's own capacity serves the excess).
    static let spillThreshold = 0.05

    /// Sends the attempt to a spill region instead of `region`; `region` then counts as not
    /// tried (no attempt went there), so a hedge or a retry may still use it. False when no
    /// region can take it now.
    private func spillOver(from region: Region, isHedge: Bool) -> Bool {
        guard request.home == nil, let spill = spillRegion() else { return false }
        tried.remove(region.name)
        if firstRegion == region.name { firstRegion = spill.region.name }
        send(to: spill.region, charge: spill.charge, isHedge: isHedge)
        return true
    }

    /// Another region, not tried yet, whose circuits are closed, with a free concurrency slot,
    /// and whose pacing admits a request at once; nil when there is none.
    private func spillRegion() -> (region: Region, charge: PacingCharge)? {
        var excluded = tried
        while let candidate = context.router.pick(excluding: excluded, peek: true) {
            excluded.insert(candidate.name)
            if let rules = context.rules.controller, rules.isOpen(region: candidate.name, model: request.model) { continue }
            guard context.policy.hasConcurrencyRoom(region: candidate) else { continue }
            var pacing = pacingRequest(for: candidate, isHedge: false)
            guard context.policy.peekAdmission(pacing, now: now) == .now else { continue }
            if let rules = context.rules.controller, case .open = rules.admit(region: candidate.name, model: request.model) {
                continue  // a half-open circuit with no probe permit left
            }
            // Only an admission at once is taken here: a spill that would wait is no spill.
            pacing.deadline = 0
            if pacing.demand != nil { demandCounted = true }
            let grant = context.policy.admit(pacing, now: now)
            guard grant.admission == .now else { continue }
            tried.insert(candidate.name)
            return (candidate, PacingCharge(key: pacing.key, cost: grant.cost))
        }
        return nil
    }

    /// Rewrites the request for its model's fallback (the degradation `fallback:` map), once.
    private func applyModelFallback(_ rules: RuleController) -> Bool {
        guard !fellBack, let model = request.model, let replacement = rules.fallback(for: model), replacement != model,
              var json = try? JSONParser.parse(request.body) else { return false }
        json.set("model", .string(replacement))
        request.body = json.serialized()
        request.model = replacement
        let note = "circuit; model=\(replacement)"
        request.degraded = request.degraded.map { "\($0); \(note)" } ?? note
        fellBack = true
        return true
    }

    /// The region a batch or file lives in, or why it cannot be asked now. No other region is
    /// asked instead: it does not know the id and would answer 404.
    private func homeRegion(_ name: String) -> Result<Region, AnthropicError> {
        var what = "this object"
        if case .use(let kind, let id, _) = request.object { what = "\(kind.rawValue) \(id)" }
        let out: String
        if let region = context.router.region(named: name) {
            if context.router.isDrained(name) {
                out = "is drained"
            } else if let rules = context.rules.controller, case .open = rules.admit(region: name, model: request.model) {
                out = "has its circuit open"
            } else {
                return .success(region)
            }
        } else {
            out = "is no longer configured"
        }
        return .failure(AnthropicError(.api, "\(what) was created in region \(name), which \(out); no other region knows it, retry later",
                                       status: 503))
    }

    /// When every region has been tried, a retry goes back to the router's choice among the
    /// regions whose circuits are not open (the ones skipped for open circuits stay out).
    private func retryRegion() -> Region? {
        guard !tried.isEmpty, attempts.count > 0 else { return nil }
        return context.router.pick(excluding: skippedOpen)
    }

    /// True when a region not tried yet could take a retry (its circuits are not open): then
    /// the retry goes there, outside the retry budget.
    private func hasUntriedServableRegion() -> Bool {
        guard request.home == nil else { return false }
        var excluded = tried
        while let candidate = context.router.pick(excluding: excluded, peek: true) {
            excluded.insert(candidate.name)
            guard let rules = context.rules.controller, rules.isOpen(region: candidate.name, model: request.model) else { return true }
        }
        return false
    }

    private func armHedge(for attempt: Attempt) {
        guard request.hedgeAllowed, request.replay.mayHedge, request.home == nil, hedgeTimer == nil, context.router.regions.count > 0,
              let delay = context.policy.hedgeDelay(key: attempt.key, model: request.model, now: now) else { return }
        hedgeTimer = context.client.schedule(after: delay) { [self] in
            hedgeTimer = nil
            guard committed == nil, !finished, attempts.filter(\.isLive).count == 1 else { return }
            if context.policy.mayHedge(now: now) { return launch(isHedge: true) }
            // The budget is spent on the ordinary tail: look again later, for a straggler.
            hedgeTimer = context.client.schedule(after: delay * 1.5) { [self] in
                hedgeTimer = nil
                guard committed == nil, !finished, attempts.filter(\.isLive).count == 1,
                      attempts.allSatisfy({ $0.head == nil }), context.policy.mayHedgeStraggler(now: now) else { return }
                launch(isHedge: true)
            }
        }
    }

    // MARK: Transfer callbacks (loop thread)

    func attempt(_ attempt: Attempt, didReceiveHead head: UpstreamResponseHead) {
        attempt.head = head
        attempt.headAt = now
        if (200..<300).contains(head.status) {
            // Pacing learns from a good answer's headers at once, not when its stream ends.
            recordPacing(attempt, head: head)
        }
        context.policy.hedges.recordFirstByte(attempt.key, seconds: now.seconds(since: attempt.startedAt), now: now)
        guard committed == nil, !finished else { return attempt.abandon() }
        let contentType = head.headers["content-type"] ?? ""
        attempt.isEventStream = contentType.hasPrefix("text/event-stream")
        guard (200..<300).contains(head.status) else {
            attempt.mode = .buffering
            return
        }
        if attempt.isEventStream {
            attempt.mode = .holding
            return
        }
        let length = head.headers["content-length"].flatMap(Int.init)
        if let length, length <= context.options.maxBufferedResponseBytes {
            attempt.mode = .buffering
        } else {
            commitStream(attempt)
        }
    }

    func attempt(_ attempt: Attempt, didReceive bytes: UnsafeRawBufferPointer) -> Bool {
        // Refused as not SSE: what still arrives before the cancel takes effect is dropped.
        if attempt.notSSE { return true }
        switch attempt.mode {
        case .buffering:
            attempt.body.append(contentsOf: bytes)
            return true
        case .holding:
            attempt.body.append(contentsOf: bytes)
            var release = attempt.body.count > Self.maxHeldBytes
            let events = attempt.scanner.feed(bytes)
            if !isSSE(attempt, completed: events.count, bytes: bytes.count) { return refuseNonSSE(attempt) }
            for event in events {
                attempt.usage.apply(event)
                attempt.assembler?.apply(event)
                if event.name == "error" {
                    attempt.failure = context.policy.judge(streamError: event.data)
                    attempt.abandon()
                    return true
                }
                if Self.contentEvents.contains(event.name) { release = true }
            }
            if release { commitStream(attempt) }
            return true
        case .streaming(let stream):
            if attempt.isEventStream {
                let events = attempt.scanner.feed(bytes)
                if !isSSE(attempt, completed: events.count, bytes: bytes.count) { return refuseNonSSE(attempt) }
                for event in events {
                    attempt.usage.apply(event)
                    attempt.assembler?.apply(event)
                }
            }
            switch stream.write(bytes) {
            case .accepted:
                attempt.bytesRelayed += bytes.count
                return true
            case .full:
                return false
            case .closed:
                return true  // the client is gone; the cancel is on its way
            }
        case .awaitingHead, .finished:
            return true
        }
    }

    func attempt(_ attempt: Attempt, didComplete completion: UpstreamCompletion) {
        if completion.silentResends > 0 {
            silentResends += completion.silentResends
            context.metrics.silentResends.labels(attempt.region.name).increment(by: completion.silentResends)
        }
        let mode = attempt.mode
        attempt.mode = .finished
        attempt.finishedAt = now
        attempt.transfer = nil
        if attempt.notSSE {
            // Already ended with an `error` event; the cancel that stopped the transfer is ours.
            settle(attempt)
            return finish()
        }
        if case .streaming(let stream) = mode {
            // The committed attempt's stream ended, well or not.
            if let error = completion.error, !(error == .cancelled && clientGone) {
                attempt.failure = context.policy.judge(error: error)
                if attempt.isEventStream {
                    stream.write(Self.anthropicError(for: error).sseEvent)
                    stream.finish()
                } else {
                    stream.fail()
                }
                settle(attempt)
                return finish()
            }
            // Recorded (and cached) before the client sees the end of the stream.
            settle(attempt)
            finish()
            stream.finish()
            return
        }
        if attempt.cancelledByBallast, attempt.failure == nil {
            // Lost a hedge race, or the client left: nothing to judge.
            settle(attempt)
            return finishIfIdle()
        }
        if attempt.failure == nil {
            if let error = completion.error {
                attempt.failure = context.policy.judge(error: error)
            } else if let head = attempt.head, !(200..<300).contains(head.status) {
                attempt.failure = context.policy.judge(status: head.status, headers: head.headers, body: attempt.body)
            }
        }
        settle(attempt)
        if attempt.failure == nil, let head = attempt.head {
            // A complete 2xx answer (buffered, or a held stream that ended before content).
            guard committed == nil, !finished else { return }
            return commitBuffered(attempt, head: head)
        }
        attemptFailed(attempt)
    }

    /// Reports an ended attempt to the policies that learn from it: the concurrency limit
    /// (latency or overload), the rate pacer (a 429 or an answer) and the hedge counters.
    private func settle(_ attempt: Attempt) {
        let failure = attempt.failure
        if let permit = attempt.permit {
            // Only timeouts say that *our* concurrency is too high; a 529 is the service's
            // overload as a whole (random, not caused by this region's in-flight count) and
            // cutting the limit on each one collapsed it to its minimum in the benchmark.
            if let failure, failure.transport?.isTimeout == true {
                permit.dropped()
            } else if let failure, failure.signalsOverload {
                permit.ignore()
            } else if attempt.head != nil, let headAt = attempt.headAt {
                permit.success(rtt: headAt.seconds(since: attempt.startedAt))
            } else {
                permit.ignore()
            }
            attempt.permit = nil
            context.slots.wakeOne(region: attempt.region.name)
        }
        if let head = attempt.head, !attempt.pacingRecorded { recordPacing(attempt, head: head) }
        if attempt.head == nil, failure?.requestNeverSent == true {
            // Refused before it reached the upstream: its share of the allowance goes back.
            context.policy.refund(paceKey: attempt.charge.key, cost: attempt.charge.cost, sentAt: attempt.startedAt, now: now)
        }
        if attempt.pacingRecorded {
            // The output estimate charged at admission becomes the real output (none for a
            // failed answer): the difference goes back to the output bucket.
            let output = failure == nil ? attempt.usage.outputTokens : 0
            context.policy.usageKnown(paceKey: attempt.charge.key, charged: attempt.charge.cost, outputTokens: output,
                                      maxTokens: failure == nil ? request.maxTokens : nil, now: now)
        }
        if attempt.cancelledByBallast, committed !== attempt, !clientGone {
            context.policy.hedges.recordCancelled()
            context.metrics.hedges.labels("cancelled").increment()
        }
    }

    /// Pacing learns from an answer's head (and, for an error, from its classification).
    private func recordPacing(_ attempt: Attempt, head: UpstreamResponseHead) {
        attempt.pacingRecorded = true
        context.policy.answered(paceKey: attempt.charge.key, region: attempt.region, headers: head.headers, failure: attempt.failure,
                                sentAt: attempt.startedAt, cost: attempt.charge.cost, wallTime: context.clock.wallTime(), now: now)
    }

    // MARK: Decisions

    private func attemptFailed(_ attempt: Attempt) {
        lastFailure = attempt
        guard committed == nil, !finished else { return }
        if clientGone { return finish() }
        if attempts.contains(where: \.isLive) { return }  // a sibling (hedge) may still win
        guard let failure = attempt.failure else { return finishWithFailure() }
        if failure.isAuthenticationFailure, !replayedAfter401,
           context.credentials.reportUnauthorized(attempt.sentHeaders) {
            // One forced token refresh and one replay, outside the retry budget.
            replayedAfter401 = true
            tried.remove(attempt.region.name)
            return launch(isHedge: false)
        }
        guard request.replay.mayRepeat(after: failure) else {
            // It may have been done upstream: a second copy could do it twice.
            context.metrics.retriesWithheld.labels(attempt.region.name).increment()
            return finishWithFailure()
        }
        let remaining = deadline.seconds(since: now)
        let untriedRegionLeft = hasUntriedServableRegion()
        guard let delay = context.policy.retryDelay(after: failure, nextAttempt: attempts.count + 1, remaining: remaining,
                                                    untriedRegionLeft: untriedRegionLeft, now: now) else {
            return finishWithFailure()
        }
        retryTimer = context.client.schedule(after: delay) { [self] in
            retryTimer = nil
            launch(isHedge: false)
        }
    }

    private func commitBuffered(_ attempt: Attempt, head: UpstreamResponseHead) {
        committed = attempt
        noteObject(attempt, status: head.status)
        noteWinner(attempt)
        abandonOthers(than: attempt)
        if !attempt.isEventStream {
            attempt.usage = MessageUsage.fromMessageBody(attempt.body)
        }
        attempt.bytesRelayed = attempt.body.count
        let response = HTTPResponse(status: head.status, headers: clientHeaders(from: head.headers, attempt: attempt),
                                    body: .bytes(attempt.body))
        // Recorded before the answer leaves, so whoever sees the answer can also see the record.
        finish()
        responder.respond(response)
    }

    private func commitStream(_ attempt: Attempt) {
        guard let head = attempt.head else { return }
        committed = attempt
        noteWinner(attempt)
        abandonOthers(than: attempt)
        let stream = ResponseStream(capacity: context.options.streamBufferBytes)
        let client = context.client
        stream.onDrain { [weak attempt] in attempt?.transfer?.resume() }
        stream.onCancel { [self] in client.execute { self.clientLeft() } }
        let held = attempt.body
        attempt.body = []
        attempt.mode = .streaming(stream)
        responder.respond(HTTPResponse(status: head.status, headers: clientHeaders(from: head.headers, attempt: attempt),
                                       body: .stream(stream)))
        if !held.isEmpty, stream.write(held) == .accepted { attempt.bytesRelayed += held.count }
    }

    /// A created batch or file gets its home (the region that answered); a deleted one loses it.
    private func noteObject(_ attempt: Attempt, status: Int) {
        guard (200..<300).contains(status), let object = request.object else { return }
        switch object {
        case .create:
            if let id = try? JSONScanner.scanObject(attempt.body, fields: ["id"]).strings["id"], ObjectRoute.isID(id) {
                context.homes.record(id: id, region: attempt.region.name)
            }
        case .use(_, let id, deletes: true):
            context.homes.forget(id: id)
        case .use:
            break
        }
    }

    /// False once an answer labelled `text/event-stream` has carried more than
    /// `maxSSEEventBytes` without completing an event. Counted per received chunk (a chunk that
    /// completes an event starts the count again), so the bound holds to within one chunk.
    private func isSSE(_ attempt: Attempt, completed events: Int, bytes: Int) -> Bool {
        attempt.bytesSinceEvent = events > 0 ? 0 : attempt.bytesSinceEvent + bytes
        return attempt.bytesSinceEvent <= context.options.maxSSEEventBytes
    }

    /// Ends a "stream" that is not SSE with an `error` event instead of relaying it: one
    /// upstream answer with no newline reached a client as 4.27 GB of bytes (issue 15). Bytes
    /// held back are dropped; bytes of earlier complete events already relayed stay relayed.
    private func refuseNonSSE(_ attempt: Attempt) -> Bool {
        context.refusals.add("stream_not_sse")
        let error = AnthropicError(.api, "the upstream answer is labelled text/event-stream but completed no event in "
                                   + "\(context.options.maxSSEEventBytes) bytes")
        attempt.notSSE = true
        attempt.failure = context.policy.judge(streamError: error.jsonBody)
        if case .holding = attempt.mode {
            attempt.body = []
            commitStream(attempt)
        }
        if case .streaming(let stream) = attempt.mode {
            stream.write(error.sseEvent)
            stream.finish()
        }
        attempt.abandon()
        return true
    }

    private func noteWinner(_ attempt: Attempt) {
        guard attempt.isHedge else { return }
        context.policy.hedges.recordWon()
        context.metrics.hedges.labels("won").increment()
    }

    private func abandonOthers(than winner: Attempt) {
        hedgeTimer?.cancel()
        hedgeTimer = nil
        for other in attempts where other !== winner && other.isLive { other.abandon() }
    }

    private func clientLeft() {
        guard !clientGone else { return }
        clientGone = true
        context.slots.remove(self)
        if isCacheFollower, let cached = request.cache {
            context.cache?.leave(cached.key, self)
            return finish()
        }
        retryTimer?.cancel()
        hedgeTimer?.cancel()
        for attempt in attempts where attempt.isLive { attempt.abandon() }
        if committed == nil || !(committed?.isLive ?? false) { finish() }
    }

    // MARK: Answers

    private func finishWithFailure() {
        guard let failed = lastFailure, let failure = failed.failure else {
            return finishWithError(AnthropicError(.overloaded, "no upstream region is available"))
        }
        if let head = failed.head, !(200..<300).contains(head.status) {
            // Relay the upstream's own error as it was sent.
            committed = failed
            failed.bytesRelayed = failed.body.count
            let response = HTTPResponse(status: head.status, headers: clientHeaders(from: head.headers, attempt: failed),
                                        body: .bytes(failed.body))
            finish()
            return responder.respond(response)
        }
        if let transport = failure.transport {
            var error = Self.anthropicError(for: transport, neverSent: failure.requestNeverSent)
            if !request.replay.mayRepeat(after: failure) {
                error.message += "; not retried: \(request.method) \(request.pathAndQuery.split(separator: "?").first ?? "") may have reached the upstream and is sent at most once, so check before sending it again"
            }
            return finishWithError(error)
        }
        // An SSE error event seen before anything reached the client.
        let type = failure.errorType.flatMap(AnthropicErrorType.init(rawValue:)) ?? .api
        finishWithError(AnthropicError(type, failure.errorMessage ?? "the upstream stream failed",
                                       status: failure.status))
    }

    /// Ballast's own 429: pacing says the upstream would refuse this request now.
    /// `retry-after` carries whole seconds (at least 1, as HTTP wants); `retry-after-ms`, which
    /// the official SDKs read first, carries the true wait for the bucket.
    private func finishRateLimited(retryAfter: Double) {
        let seconds = max(1, Int(retryAfter.rounded(.up)))
        let milliseconds = max(1, Int((retryAfter * 1000).rounded(.up)))
        finishWithError(AnthropicError(.rateLimit, "the upstream's rate limit is reached; Ballast is pacing requests, retry after \(seconds)s"),
                        retryAfter: seconds, retryAfterMilliseconds: milliseconds)
    }

    private func finishWithError(_ error: AnthropicError, retryAfter: Int? = nil, retryAfterMilliseconds: Int? = nil) {
        guard !finished else { return }
        var headers = HTTPHeaders()
        headers.add("content-type", "application/json")
        if let region = (lastFailure ?? attempts.last)?.region { headers.add("x-ballast-region", region.name) }
        headers.add("x-ballast-attempts", String(attemptsMade))
        for header in request.migrationHeaders { headers.add(header.name, header.value) }
        if let retryAfter {
            headers.add("retry-after", String(retryAfter))
            if let retryAfterMilliseconds { headers.add("retry-after-ms", String(retryAfterMilliseconds)) }
        } else if error.status == 529 || error.status == 503 {
            headers.add("retry-after", "1")
        }
        finish(error: error)
        responder.respond(HTTPResponse(status: error.status, headers: headers, text: error.jsonBody))
    }

    private func finishIfIdle() {
        if clientGone, !attempts.contains(where: \.isLive) { finish() }
    }

    /// Reports the request once, when its answer is complete (or the client left).
    private func finish(error: AnthropicError? = nil) {
        guard !finished else { return }
        finished = true
        if isCacheFollower {
            return recordFollower()
        }
        if isCacheLeader { handOffToFollowers() }
        retryTimer?.cancel()
        hedgeTimer?.cancel()
        let end = now
        let final = committed ?? lastFailure ?? attempts.last
        let status: Int
        let outcome: OutcomeClass
        var errorType: String?
        if clientGone {
            // The client left before its answer was complete.
            status = 499
            outcome = .ballast
            errorType = "client_closed_request"
        } else if let error {
            status = error.status
            outcome = final?.failure?.outcome ?? .ballast
            errorType = error.type.rawValue
        } else if let final, let head = final.head {
            status = head.status
            if let failure = final.failure {
                outcome = failure.outcome
                errorType = failure.errorType
            } else {
                outcome = (200..<300).contains(head.status) ? .success : .client
            }
        } else {
            status = 0
            outcome = .ballast
        }
        let route: String
        if final?.isHedge == true {
            route = "hedge"
        } else if let final, final.region.name != firstRegion {
            route = "failover"
        } else if attempts.count > 1 {
            route = "retry"
        } else {
            route = "weighted"
        }
        let wall = request.arrivalWallTime
        let ttfb = committed?.headAt.map { $0.seconds(since: request.arrival) }
        let usage = final?.usage ?? MessageUsage()
        var record = RequestRecord(
            time: wall, region: final?.region.name, model: request.model, route: route, status: status, outcome: outcome,
            errorType: errorType, attempts: attemptsMade, hedged: attempts.contains(where: \.isHedge),
            streamed: request.wantsStream, latency: end.seconds(since: request.arrival), timeToFirstByte: ttfb,
            inputTokens: usage.inputTokens, outputTokens: usage.outputTokens, bytesSent: final?.bytesRelayed ?? 0)
        record.canary = request.canary?.canary
        record.canarySide = request.canary?.side.rawValue
        record.client = request.client?.name
        request.client?.settle(inputTokens: usage.inputTokens, outputTokens: usage.outputTokens)
        let attemptRecords = attempts.map { attempt in
            AttemptRecord(
                time: wall + attempt.startedAt.seconds(since: request.arrival), region: attempt.region.name,
                model: request.model, index: attempt.index, status: attempt.head?.status ?? 0,
                outcome: attempt.failure?.outcome ?? (attempt.cancelledByBallast ? .ballast : .success),
                errorType: attempt.failure?.errorType, hedge: attempt.isHedge, cancelled: attempt.cancelledByBallast,
                latency: (attempt.finishedAt ?? end).seconds(since: attempt.startedAt),
                timeToFirstByte: attempt.headAt.map { $0.seconds(since: attempt.startedAt) })
        }
        context.sink?.record(record, attempts: attemptRecords, overhead: processingOverhead())
    }

    /// The leader's answer, stored and given to every identical request that waited for it;
    /// without a complete 200 answer, the followers each go upstream themselves.
    private func handOffToFollowers() {
        guard let cached = request.cache, let cache = context.cache else { return }
        let followers = cache.leaderFinished(cached.key)
        var answer: [UInt8]?
        if let winner = committed, winner.head?.status == 200, winner.failure == nil, !clientGone {
            if let assembler = winner.assembler {
                answer = assembler.isComplete ? try? assembler.assembledBody() : nil
            } else if !winner.isEventStream {
                answer = winner.body
            }
        }
        if let token = sharedLockToken, let tier = cache.shared {
            sharedLockToken = nil
            tier.publish(namespace: Self.sharedNamespace(cached.key), key: cached.key.hex, token: token, value: answer,
                         ttl: cached.ttl)
        }
        if let answer, !answer.isEmpty {
            if cache.store.store(cached.key, body: answer, ttl: cached.ttl, now: context.clock.wallTime()) {
                cache.counters.stored.add(1, ordering: .relaxed)
            }
            for follower in followers { follower.serveCoalesced(answer) }
        } else {
            for follower in followers { follower.goUpstreamAlone() }
        }
    }

    /// Redis' answer for a leader's local miss: another instance's answer (served, kept
    /// locally, handed to the local followers), or go upstream (holding the lock, or alone).
    private func sharedCacheAnswered(_ outcome: SharedCacheOutcome) {
        guard !finished, !clientGone, let cached = request.cache, let cache = context.cache else { return }
        switch outcome {
        case .hit(let body) where !body.isEmpty:
            if cache.store.store(cached.key, body: body, ttl: cached.ttl, now: context.clock.wallTime()) {
                cache.counters.stored.add(1, ordering: .relaxed)
            }
            cache.counters.hits.add(1, ordering: .relaxed)
            isCacheLeader = false
            for follower in cache.leaderFinished(cached.key) { follower.serveCoalesced(body) }
            finished = true
            let response = CachedAnswerResponse.make(body: body, wantsStream: request.wantsStream, source: "shared")
            request.client?.settle(inputTokens: 0, outputTokens: 0)
            var record = RequestRecord(
                time: request.arrivalWallTime, region: nil, model: request.model, route: "cache", status: 200,
                outcome: .success, attempts: 0, cacheHit: true, streamed: request.wantsStream,
                latency: now.seconds(since: request.arrival), timeToFirstByte: now.seconds(since: request.arrival),
                inputTokens: 0, outputTokens: 0, bytesSent: 0)
            record.client = request.client?.name
            context.sink?.record(record, attempts: [], overhead: nil)
            responder.respond(response)
        case .lead(let token):
            sharedLockToken = token
            context.policy.requestStarted(now: now)
            launch(isHedge: false)
        default:
            context.policy.requestStarted(now: now)
            launch(isHedge: false)
        }
    }

    /// The shared cache's namespace: the credential's fingerprint (never the credential), so
    /// a hit never crosses keys.
    private static func sharedNamespace(_ key: CacheKey) -> String { String(key.fingerprint.prefix(16)) }

    /// A follower gets the leader's answer.
    private func serveCoalesced(_ answer: [UInt8]) {
        guard isCacheFollower, !finished, !clientGone else { return }
        let response = CachedAnswerResponse.make(body: answer, wantsStream: request.wantsStream, source: "coalesced")
        finish()
        responder.respond(response)
    }

    /// The leader failed: this request tries for itself (and coalesces no more).
    private func goUpstreamAlone() {
        guard isCacheFollower, !finished, !clientGone else { return }
        isCacheFollower = false
        context.policy.requestStarted(now: now)
        launch(isHedge: false)
    }

    private func recordFollower() {
        let end = now
        request.client?.settle(inputTokens: 0, outputTokens: 0)
        var record = RequestRecord(
            time: request.arrivalWallTime, region: nil, model: request.model, route: "coalesced",
            status: clientGone ? 499 : 200, outcome: clientGone ? .ballast : .success,
            errorType: clientGone ? "client_closed_request" : nil, attempts: 0, coalesced: true,
            streamed: request.wantsStream, latency: end.seconds(since: request.arrival),
            timeToFirstByte: clientGone ? nil : end.seconds(since: request.arrival))
        record.client = request.client?.name
        context.sink?.record(record, attempts: [], overhead: nil)
    }

    /// Ballast's own processing time (arrival to hand-off to libcurl), reported only for
    /// single-attempt requests: with retries the figure would mostly be deliberate waiting.
    private func processingOverhead() -> Double? {
        guard attempts.count == 1, let only = attempts.first else { return nil }
        return only.startedAt.seconds(since: request.arrival)
    }

    private func clientHeaders(from upstream: HTTPHeaders, attempt: Attempt) -> HTTPHeaders {
        var result = HTTPHeaders()
        for field in upstream where !Self.hopByHop.contains(field.name) {
            // A client key's answer describes that key's limits, not the organisation's.
            if request.client != nil, field.name.hasPrefix("anthropic-ratelimit-") { continue }
            result.add(field.name, field.value)
        }
        for field in request.client?.rateLimitHeaders ?? [] { result.add(field.name, field.value) }
        result.add("x-ballast-region", attempt.region.name)
        result.add("x-ballast-attempts", String(attemptsMade))
        if attempt.isHedge { result.add("x-ballast-hedged", "true") }
        if let degraded = request.degraded { result.add("x-ballast-degraded", degraded) }
        for header in request.migrationHeaders { result.add(header.name, header.value) }
        result.add("x-ballast-overhead-ms", Self.milliseconds(attempt.startedAt.seconds(since: request.arrival)))
        return result
    }

    /// A bounded label for why an attempt was retried.
    private static func retryReason(_ failure: Failure) -> String {
        if let transport = failure.transport { return transport.rawValue }
        if let status = failure.status { return String(status) }
        return failure.errorType ?? "other"
    }

    static func anthropicError(for transport: TransportFailure, neverSent: Bool) -> AnthropicError {
        switch transport {
        case .connectFailed, .connectTimeout:
            return AnthropicError(.overloaded, "no upstream region is reachable")
        case .firstByteTimeout, .idleTimeout, .totalTimeout:
            return AnthropicError(.timeout, "the upstream did not answer in time (\(transport.rawValue))")
        case .connectionLost:
            return AnthropicError(.api, "the upstream connection failed", status: 502)
        }
    }

    /// The Anthropic-shaped error a client sees for a local failure.
    static func anthropicError(for error: UpstreamError) -> AnthropicError {
        switch error {
        case .connectFailed, .connectTimeout:
            return AnthropicError(.overloaded, "no upstream region is reachable")
        case .firstByteTimeout, .idleTimeout, .totalTimeout:
            return AnthropicError(.timeout, "the upstream did not answer in time (\(error))")
        case .connectionLost, .transport:
            return AnthropicError(.api, "the upstream connection failed (\(error))", status: 502)
        case .cancelled:
            return AnthropicError(.api, "the request was cancelled", status: 499)
        }
    }

    private static func milliseconds(_ seconds: Double) -> String {
        let hundredths = Int((seconds * 100_000).rounded())
        let whole = hundredths / 100
        let fraction = hundredths % 100
        return "\(whole).\(fraction < 10 ? "0" : "")\(fraction)"
    }

    /// Events after which a held stream is released to the client.
    static let contentEvents: Set<String> = ["content_block_delta", "content_block_stop", "message_delta", "message_stop"]
    /// A held stream is released anyway once this much has arrived.
    static let maxHeldBytes = 64 * 1024

    /// Headers that describe one connection, not the message; never relayed.
    static let hopByHop: Set<String> = [
        "connection", "keep-alive", "transfer-encoding", "content-length", "te", "trailer", "upgrade",
        "proxy-authenticate", "proxy-authorization", "proxy-connection", "date", "server",
    ]
}
