import BallastCore
import Cache
import CloudRegions
import HTTPServer
import Resilience
import SharedState
import Tracing
import Upstream
import JSON
import Metrics
import Rules
import RulesRuntime
import Synchronization

/// One client request on its way through Ballast: the driver of its `CallMachine`, which
/// decides (which region, when to retry or hedge, which answer wins); this class does the
/// I/O those decisions ask for (libcurl transfers, timers, slot queues, the response) and
/// reports what happened back to the machine as events.
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
    private var machine: CallMachine

    /// Attempt n's transfer and buffers at `attempts[n - 1]`, as in the machine.
    private var attempts: [Attempt] = []
    private var timers: [CallMachine.TimerSlot: LoopTimer] = [:]
    /// The request's record was handed to the sink (once).
    private var recorded = false
    /// Coalescing: this call leads the identical requests behind it, or follows one.
    private var isCacheLeader = false
    private var isCacheFollower = false
    /// The shared cache's lock this call holds (it makes the one upstream call for every instance).
    private var sharedLockToken: String?
    /// Copies libcurl sent again by itself after a reused connection died (replayable
    /// requests only): each is one more attempt the upstream may have seen.
    private var silentResends = 0
    /// Every copy of the request that may have reached an upstream.
    private var attemptsMade: Int { attempts.count + silentResends }
    /// The request's trace (continued from its `traceparent`, or new); nil when tracing is off.
    private let trace: RequestTrace?

    init(context: ProxyContext, request: CallRequest, responder: HTTPResponder) {
        self.context = context
        self.request = request
        self.responder = responder
        trace = context.tracer?.begin(traceparent: request.clientHeaders["traceparent"], tracestate: request.clientHeaders["tracestate"])
        var object = "this object"
        if case .use(let kind, let id, _) = request.object { object = "\(kind.rawValue) \(id)" }
        machine = CallMachine(
            facts: CallMachine.Facts(
                model: request.model, method: request.method,
                path: String(request.pathAndQuery.split(separator: "?", omittingEmptySubsequences: false).first ?? ""),
                bodyBytes: request.body.count, maxTokens: request.maxTokens, deadline: request.deadline,
                replay: request.replay, hedgeAllowed: request.hedgeAllowed, home: request.home, objectDescription: object),
            settings: CallMachine.Settings(
                maxBufferedResponseBytes: context.options.maxBufferedResponseBytes,
                maxConcurrencyWait: context.options.maxConcurrencyWait))
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
                        tier.acquire(
                            namespace: Self.sharedNamespace(cached.key), key: cached.key.hex,
                            maxWait: request.deadline.seconds(since: now)
                        ) { outcome in
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
            goUpstream()
        }
    }

    var now: MonotonicInstant { context.clock.now() }

    private func goUpstream() {
        context.policy.requestStarted(now: now)
        context.calls.add(self)
        handle(.start)
    }

    /// Loop thread: the region's circuit opened while this call may wait there for a first byte.
    func regionWentOut(_ region: String) {
        handle(.regionOut(region))
    }

    /// Loop thread: when the paced slot this call waits for comes; nil when it waits for none.
    var pacedDue: MonotonicInstant? { machine.pacedWait?.due }

    /// Loop thread: the region's circuit closed while this call may wait for a paced slot.
    func regionCameBack(_ region: String) {
        handle(.regionBack(region))
    }

    // MARK: Driving the machine (loop thread)

    private func handle(_ event: CallMachine.Event) {
        LoopThread.preconditionOnLoop("ProxiedCall.handle")
        perform(machine.handle(event, in: self))
    }

    private func perform(_ actions: [CallMachine.Action]) {
        for action in actions {
            switch action {
            case .send(let dispatch):
                send(dispatch)
            case .waitForSlot(let dispatch):
                context.slots.enqueue(region: dispatch.region.name, call: self) { [self] in handle(.slotFreed(dispatch)) }
            case .stopWaitingForSlot:
                context.slots.remove(self)
            case .schedule(let timer, let seconds):
                timers[timer.slot]?.cancel()
                timers[timer.slot] = context.client.schedule(after: seconds) { [self] in
                    timers[timer.slot] = nil
                    handle(.timerFired(timer))
                }
            case .cancel(let slot):
                timers.removeValue(forKey: slot)?.cancel()
            case .abandon(let index):
                attempts[index - 1].abandon()
            case .buffer(let index):
                attempts[index - 1].mode = .buffering
            case .hold(let index):
                attempts[index - 1].mode = .holding
            case .commitStream(let index):
                commitStream(attempts[index - 1])
            case .commitBuffered(let index):
                commitBuffered(attempts[index - 1])
            case .relay(let index):
                relay(attempts[index - 1])
            case .fail(let error, let retryAfter, let retryAfterMilliseconds):
                respondWithError(error, retryAfter: retryAfter, retryAfterMilliseconds: retryAfterMilliseconds)
            case .record:
                record()
            case .note(let note):
                count(note)
            }
        }
    }

    private func count(_ note: CallMachine.Note) {
        switch note {
        case .hedgeSent:
            context.metrics.hedges.labels("sent").increment()
        case .retrySent(let region, let reason):
            context.metrics.retries.labels(region, reason).increment()
        case .pacingRejected(let oversubscribed):
            if oversubscribed {
                context.policy.counters.oversubscribedRejections.add(1, ordering: .relaxed)
            } else {
                context.policy.counters.pacingRejections.add(1, ordering: .relaxed)
            }
        case .concurrencyRejected:
            context.policy.counters.concurrencyRejections.add(1, ordering: .relaxed)
        case .retryWithheld(let region):
            context.metrics.retriesWithheld.labels(region).increment()
        case .stalled:
            context.metrics.hedges.labels("rescue").increment()
        case .firstByteOverdue(let index, _, let answerDue):
            countOverdue(attempts[index - 1], answerDue: answerDue)
        }
    }

    /// Counts a stuck attempt as a failure of its region in the rules' attempt windows now:
    /// the region-down and region-failing rules then see a region that accepts connections
    /// but stops answering as they see one that refuses them, instead of never (a stuck
    /// attempt that a copy overtakes ends cancelled, and cancelled attempts say nothing).
    /// Its record when the request ends carries `countedEarly`, so it is not counted twice.
    /// When the region has answered a later attempt since (the stall is over) or its circuit
    /// opened since, the failure counts when the answer was due (`answerDue`), not as news of
    /// the region now (`CallPolicy.hasNewsSince`).
    ///
    /// It also gives its concurrency slot back (reported as saying nothing about load): a
    /// stalled region's stuck attempts would otherwise hold every slot while their copies wait
    /// elsewhere, so that neither new requests nor the probes of its half-open circuit reach it
    /// once it recovers (in the capacity simulation a region that stalled for 4 s stayed
    /// half-open for 31 s, seed 40).
    private func countOverdue(_ attempt: Attempt, answerDue: MonotonicInstant) {
        if let permit = attempt.permit {
            permit.ignore()
            attempt.permit = nil
            context.slots.wakeOne(region: attempt.region.name)
        }
        guard !attempt.countedEarly, let source = context.rules?.source else { return }
        let oldNews = context.policy.hasNewsSince(attempt.region.name, sentAt: attempt.startedAt)
        var record = attemptRecord(attempt, end: oldNews ? min(answerDue, now) : now)
        attempt.countedEarly = true
        record.status = 0
        record.outcome = .local
        record.errorType = Self.overdueErrorType
        record.timeToFirstByte = nil
        source.record(attempt: record)
        if machine.attempt(attempt.index).isProbe { context.rules?.probeAnswered() }
    }

    /// Counts an ended attempt in the rules' attempt windows at once, not when its request ends:
    /// the region's answer is news for its circuit now (a failed probe whose retry then waited
    /// at a saturated standby would otherwise keep the circuit half-open until that retry
    /// ended). Cancelled attempts say nothing about the region and are left out, as there.
    private func countEnded(_ attempt: Attempt) {
        guard !attempt.countedEarly, !attempt.cancelledByBallast, let source = context.rules?.source else { return }
        let record = attemptRecord(attempt, end: now)
        attempt.countedEarly = true
        source.record(attempt: record)
        if machine.attempt(attempt.index).isProbe { context.rules?.probeAnswered() }
    }

    /// What the telemetry records of one attempt, as of `end` for one still running.
    private func attemptRecord(_ attempt: Attempt, end: MonotonicInstant) -> AttemptRecord {
        var record = AttemptRecord(
            time: request.arrivalWallTime + attempt.startedAt.seconds(since: request.arrival), region: attempt.region.name,
            model: request.model, index: attempt.index, status: attempt.head?.status ?? 0,
            outcome: attempt.failure?.outcome ?? (attempt.cancelledByBallast ? .ballast : .success),
            errorType: attempt.failure?.errorType, hedge: attempt.isHedge, cancelled: attempt.cancelledByBallast,
            latency: (attempt.finishedAt ?? end).seconds(since: attempt.startedAt),
            timeToFirstByte: attempt.headAt.map { $0.seconds(since: attempt.startedAt) })
        record.countedEarly = attempt.countedEarly
        return record
    }

    /// The error type an overdue first byte is counted under in the attempt windows.
    static let overdueErrorType = "first_byte_overdue"

    // MARK: Attempts

    /// Takes a concurrency slot and the credentials, then starts the transfer; tells the
    /// machine when either is not to be had now.
    private func send(_ dispatch: CallMachine.Dispatch) {
        let region = dispatch.region
        var permit: ConcurrencyLimit.Permit?
        switch context.policy.acquire(region: region, now: now) {
        case .unlimited:
            break
        case .granted(let granted):
            permit = granted
        case .atLimit:
            return handle(.atConcurrencyLimit(dispatch))
        }
        var headers = request.upstreamHeaders
        // A Bedrock or Vertex region: its own URL, body and credentials (CloudAttempt).
        let cloud = context.cloud?[region.name]
        var cloudTarget: CloudAttempt.Target?
        let credentialState: CredentialState
        if let cloud {
            (credentialState, cloudTarget) = CloudAttempt.prepare(cloud, request: request, headers: &headers)
        } else {
            credentialState = context.credentials.apply(to: &headers, from: request.clientHeaders)
        }
        switch credentialState {
        case .ready:
            break
        case .wait:
            permit?.ignore()
            let client = context.client
            (cloud?.notifyWhenReady ?? context.credentials.notifyWhenReady) { [self] in
                client.execute { self.handle(.credentialsReady(dispatch)) }
            }
            return
        case .unavailable(let reason):
            permit?.ignore()
            return handle(.credentialsUnavailable(dispatch, reason: reason, regionOnly: cloud != nil))
        }
        let spanID = context.tracer?.spanID() ?? []
        if let trace {
            // The caller's headers are never forwarded as they came: the attempt's own span is the parent upstream.
            headers.remove("traceparent")
            headers.remove("tracestate")
            headers.add("traceparent", trace.traceparent(spanID: spanID))
            if let state = trace.parent?.traceState { headers.add("tracestate", state) }
        }
        let actions = machine.handle(.sent(dispatch), in: self)
        let state = machine.attempt(machine.attempts.count)
        precondition(state.index == attempts.count + 1, "the call and its machine disagree on the attempt count")
        let attempt = Attempt(
            call: self, region: region, index: state.index, isHedge: dispatch.isHedge, key: state.hedgeKey,
            charge: dispatch.charge, sentHeaders: headers, permit: permit, startedAt: state.startedAt)
        if isCacheLeader, request.wantsStream { attempt.assembler = MessageAssembler() }
        attempt.spanID = spanID
        if trace != nil {
            // Sent while the region's circuit is half-open: this attempt is a probe of its recovery.
            attempt.probe = context.rules?.circuitStateName(region: region.name, model: request.model) == "half_open"
        }
        attempts.append(attempt)
        var timeouts = context.options.timeouts
        timeouts.total = max(0.001, request.deadline.seconds(since: now))
        let upstream = UpstreamRequest(
            method: request.method, url: cloudTarget?.url ?? region.baseURL + request.pathAndQuery,
            headers: headers, body: cloudTarget?.body ?? request.body, timeouts: timeouts,
            silentResend: request.replay == .replayable)
        let translator = cloud?.translator(wrapping: attempt)
        let transfer = context.client.makeTransfer(upstream, delegate: translator ?? attempt)
        translator?.transfer = transfer
        attempt.transfer = transfer
        context.client.begin(transfer)
        perform(actions)
    }

    // MARK: Transfer callbacks (loop thread)

    func attempt(_ attempt: Attempt, didReceiveHead head: UpstreamResponseHead) {
        LoopThread.preconditionOnLoop()
        attempt.head = head
        attempt.headAt = now
        context.policy.regionAnswered(attempt.region.name, sentAt: attempt.startedAt)
        if (200..<300).contains(head.status) {
            // Pacing learns from a good answer's headers at once, not when its stream ends.
            recordPacing(attempt, head: head)
            // The usual time to first byte is an answer's: an error comes back at once, and a
            // region's 503s made its usual time 40 ms in the capacity simulation, so that its
            // probes were overdue (and failed) at 0.2 s long after it had recovered (seed 55).
            context.policy.recordFirstByte(key: attempt.key, seconds: now.seconds(since: attempt.startedAt), now: now)
        }
        attempt.isEventStream = (head.headers["content-type"] ?? "").hasPrefix("text/event-stream")
        handle(
            .head(
                attempt: attempt.index, status: head.status, isEventStream: attempt.isEventStream,
                contentLength: head.headers["content-length"].flatMap(Int.init)))
    }

    func attempt(_ attempt: Attempt, didReceive bytes: UnsafeRawBufferPointer) -> Bool {
        LoopThread.preconditionOnLoop()
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
            if release { handle(.released(attempt: attempt.index)) }
            return true
        case .streaming(let stream):
            if attempt.isEventStream {
                // Bytes refused below (`.full`) come again once libcurl resumes: the scanner has
                // seen them, and seeing them twice repeats events (the cache then assembled a
                // corrupt message and stored nothing; StreamPauseScanTests).
                let fresh = UnsafeRawBufferPointer(rebasing: bytes[min(attempt.scannedAhead, bytes.count)...])
                if !fresh.isEmpty {
                    let events = attempt.scanner.feed(fresh)
                    if !isSSE(attempt, completed: events.count, bytes: fresh.count) { return refuseNonSSE(attempt) }
                    for event in events {
                        attempt.usage.apply(event)
                        attempt.assembler?.apply(event)
                    }
                }
            }
            switch stream.write(bytes) {
            case .accepted:
                attempt.bytesRelayed += bytes.count
                attempt.scannedAhead = max(0, attempt.scannedAhead - bytes.count)
                return true
            case .full:
                attempt.scannedAhead = max(attempt.scannedAhead, bytes.count)
                return false
            case .closed:
                return true  // the client is gone; the cancel is on its way
            }
        case .awaitingHead, .finished:
            return true
        }
    }

    func attempt(_ attempt: Attempt, didComplete completion: UpstreamCompletion) {
        LoopThread.preconditionOnLoop()
        if completion.silentResends > 0 {
            silentResends += completion.silentResends
            context.metrics.silentResends.labels(attempt.region.name).increment(by: completion.silentResends)
        }
        let mode = attempt.mode
        attempt.mode = .finished
        attempt.finishedAt = now
        attempt.transfer = nil
        let isCommitted = machine.committed == attempt.index
        if attempt.notSSE, isCommitted {
            // Already ended with an `error` event; the cancel that stopped the transfer is ours.
            settle(attempt)
            return handle(.committedStreamEnded(attempt: attempt.index))
        }
        if case .streaming(let stream) = mode {
            // The committed attempt's stream ended, well or not.
            if let error = completion.error, !(error == .cancelled && machine.clientGone) {
                attempt.failure = context.policy.judge(error: error)
                if attempt.isEventStream {
                    stream.write(Self.anthropicError(for: error).sseEvent)
                    stream.finish()
                } else {
                    stream.fail()
                }
                settle(attempt)
                return handle(.committedStreamEnded(attempt: attempt.index))
            }
            // Recorded (and cached) before the client sees the end of the stream.
            settle(attempt)
            handle(.committedStreamEnded(attempt: attempt.index))
            stream.finish()
            return
        }
        if attempt.cancelledByBallast, attempt.failure == nil {
            // Lost a hedge race, or the client left: nothing to judge.
            settle(attempt)
            return handle(.completed(attempt: attempt.index, failure: nil))
        }
        if attempt.failure == nil {
            if let error = completion.error {
                attempt.failure = context.policy.judge(error: error)
            } else if let head = attempt.head, !(200..<300).contains(head.status) {
                attempt.failure = context.policy.judge(status: head.status, headers: head.headers, body: attempt.body)
            }
        }
        settle(attempt)
        handle(.completed(attempt: attempt.index, failure: attempt.failure))
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
            context.policy.attemptEnded(
                region: attempt.region, seconds: now.seconds(since: attempt.startedAt), failed: failure != nil, now: now)
            context.slots.wakeOne(region: attempt.region.name)
        }
        countEnded(attempt)
        if let head = attempt.head, !attempt.pacingRecorded { recordPacing(attempt, head: head) }
        if attempt.head == nil, failure?.requestNeverSent == true {
            // Refused before it reached the upstream: its share of the allowance goes back.
            context.policy.refund(paceKey: attempt.charge.key, cost: attempt.charge.cost, sentAt: attempt.startedAt, now: now)
        } else {
            if failure == nil, attempt.usage.state == .none, !attempt.isEventStream, !attempt.isLive,
                attempt.head.map({ (200..<300).contains($0.status) }) == true
            {
                // A whole answer's usage, read here rather than when it is delivered: pacing
                // settles now, before the answer is committed. (Settled as 0, every buffered
                // answer taught pacing that answers use none of `max_tokens`, and an output
                // limit was not paced at all: one of the causes of 6.5-16 % upstream 429s in
                // the `capacity` bench.)
                attempt.usage = MessageUsage.fromMessageBody(attempt.body)
            }
            // The output estimate charged at admission becomes the real output: none for a
            // failed answer; unknown (the estimate stands) for an answer whose usage was not
            // read in full, or an attempt stopped before its answer came.
            let output: Int? =
                if !attempt.pacingRecorded { nil } else if failure != nil { 0 } else { attempt.usage.isKnown ? attempt.usage.outputTokens : nil }
            context.policy.attemptSettled(
                paceKey: attempt.charge.key, charged: attempt.charge.cost, outputTokens: output,
                maxTokens: failure == nil ? request.maxTokens : nil, now: now)
        }
        if attempt.cancelledByBallast, machine.committed != attempt.index, !machine.clientGone {
            context.policy.hedges.recordCancelled()
            context.metrics.hedges.labels("cancelled").increment()
        }
    }

    /// Pacing learns from an answer's head (and, for an error, from its classification).
    private func recordPacing(_ attempt: Attempt, head: UpstreamResponseHead) {
        attempt.pacingRecorded = true
        context.policy.answered(
            paceKey: attempt.charge.key, region: attempt.region, headers: head.headers, failure: attempt.failure,
            sentAt: attempt.startedAt, cost: attempt.charge.cost, wallTime: context.clock.wallTime(), now: now)
    }

    // MARK: Answers

    private func commitBuffered(_ attempt: Attempt) {
        guard let head = attempt.head else { preconditionFailure("a buffered answer was committed before its head") }
        noteObject(attempt, status: head.status)
        noteWinner(attempt)
        if !attempt.isEventStream, attempt.usage.state == .none {
            attempt.usage = MessageUsage.fromMessageBody(attempt.body)
        }
        attempt.bytesRelayed = attempt.body.count
        let response = HTTPResponse(
            status: head.status, headers: clientHeaders(from: head.headers, attempt: attempt),
            body: .bytes(attempt.body))
        // Recorded before the answer leaves, so whoever sees the answer can also see the record.
        record()
        responder.respond(response)
    }

    private func commitStream(_ attempt: Attempt) {
        guard let head = attempt.head else { preconditionFailure("a stream was committed before its head") }
        noteWinner(attempt)
        let stream = ResponseStream(capacity: context.options.streamBufferBytes)
        let client = context.client
        stream.onDrain { [weak attempt] in attempt?.transfer?.resume() }
        stream.onCancel { [self] in client.execute { self.clientLeft() } }
        let held = attempt.body
        attempt.body = []
        attempt.mode = .streaming(stream)
        responder.respond(
            HTTPResponse(
                status: head.status, headers: clientHeaders(from: head.headers, attempt: attempt),
                body: .stream(stream)))
        if !held.isEmpty, stream.write(held) == .accepted { attempt.bytesRelayed += held.count }
    }

    /// Relays the upstream's own error answer as it was sent.
    private func relay(_ failed: Attempt) {
        guard let head = failed.head else { preconditionFailure("an error answer was relayed before its head") }
        failed.bytesRelayed = failed.body.count
        let response = HTTPResponse(
            status: head.status, headers: clientHeaders(from: head.headers, attempt: failed),
            body: .bytes(failed.body))
        record()
        responder.respond(response)
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
    /// upstream answer with no newline reached a client as 4.27 GB of bytes (docs/configuration.md, "Input limits"). Bytes
    /// held back are dropped; bytes of earlier complete events already relayed stay relayed.
    private func refuseNonSSE(_ attempt: Attempt) -> Bool {
        context.refusals.add("stream_not_sse")
        let error = AnthropicError(
            .api,
            "the upstream answer is labelled text/event-stream but completed no event in "
                + "\(context.options.maxSSEEventBytes) bytes")
        attempt.notSSE = true
        attempt.failure = context.policy.judge(streamError: error.jsonBody)
        if case .holding = attempt.mode {
            attempt.body = []
            handle(.released(attempt: attempt.index))
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

    /// Posted to the loop thread when the client's connection closes.
    private func clientLeft() {
        guard !machine.clientGone else { return }
        if isCacheFollower, let cached = request.cache { context.cache?.leave(cached.key, self) }
        handle(.clientGone)
    }

    /// Ballast's own error answer (pacing, circuits, credentials, what transport failures mean).
    private func respondWithError(_ error: AnthropicError, retryAfter: Int?, retryAfterMilliseconds: Int?) {
        var headers = HTTPHeaders()
        headers.add("content-type", "application/json")
        if let region = (machine.lastFailure.map { attempts[$0 - 1] } ?? attempts.last)?.region {
            headers.add("x-ballast-region", region.name)
        }
        headers.add("x-ballast-attempts", String(attemptsMade))
        for header in request.migrationHeaders { headers.add(header.name, header.value) }
        if let retryAfter {
            headers.add("retry-after", String(retryAfter))
            if let retryAfterMilliseconds { headers.add("retry-after-ms", String(retryAfterMilliseconds)) }
        } else if error.status == 529 || error.status == 503 {
            headers.add("retry-after", "1")
        }
        record(error: error)
        responder.respond(HTTPResponse(status: error.status, headers: headers, text: error.jsonBody))
    }

    /// Reports the request once, when its answer is complete (or the client left).
    private func record(error: AnthropicError? = nil) {
        guard !recorded else { return }
        recorded = true
        context.calls.remove(self)
        if isCacheFollower {
            return recordFollower()
        }
        if isCacheLeader { handOffToFollowers() }
        for timer in timers.values { timer.cancel() }
        timers = [:]
        let end = now
        let committed = machine.committed.map { attempts[$0 - 1] }
        let final = committed ?? machine.lastFailure.map { attempts[$0 - 1] } ?? attempts.last
        let clientGone = machine.clientGone
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
        } else if let final, final.region.name != machine.firstRegion {
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
        var attemptRecords = attempts.map { attemptRecord($0, end: end) }
        // What each attempt used and cost, and whether it was overhead (docs/usage-and-tracing.md).
        if record.client == nil { record.credential = UsageAccounting.credentialFingerprint(request.clientHeaders) }
        record.usage = final?.usage ?? .unknown
        for (offset, attempt) in attempts.enumerated() {
            if attempt.usage.state == .none, !attempt.isEventStream, !attempt.isLive, attempt.head.map({ (200..<300).contains($0.status) }) == true {
                attempt.usage = MessageUsage.fromMessageBody(attempt.body)  // a whole answer that was not delivered
            }
            let delivered = attempt === final && (committed != nil || attempt.failure != nil)
            attemptRecords[offset].spend = AttemptUsage(
                usage: attempt.usage, costUSD: context.accounting.cost(of: attempt.usage, model: request.model),
                overhead: UsageAccounting.overhead(
                    delivered: delivered, cancelledByBallast: attempt.cancelledByBallast,
                    failed: attempt.failure != nil, clientGone: clientGone))
        }
        let costs = attemptRecords.compactMap(\.spend.costUSD)
        record.costUSD = costs.isEmpty ? nil : costs.reduce(0, +)
        if let trace { record.traceID = trace.traceIDHex }
        if let trace, let tracer = context.tracer, tracer.reserve(trace, count: 1 + attemptRecords.count) {
            // Read here, on the loop thread; the spans are built on the exporter's queue.
            let facts = attempts.map { attempt in
                AttemptSpanFacts(
                    spanID: attempt.spanID,
                    kind: attempt.isHedge
                        ? "hedge"
                        : attempt.index == 1
                            ? "first"
                            : attempt.region.name != machine.firstRegion ? "failover" : "retry",
                    probe: attempt.probe,
                    circuitState: context.rules?.circuitStateName(
                        region: attempt.region.name,
                        model: request.model))
            }
            let (finished, spent, method, maxTokens) = (record, attemptRecords, request.method, request.maxTokens)
            let path = String(request.pathAndQuery.split(separator: "?", omittingEmptySubsequences: false).first ?? "")
            let fallback = request.degraded?.contains("circuit; model=") == true ? request.model : nil
            tracer.finishReserved {
                RequestSpans.build(
                    trace: trace, request: finished, attempts: spent, facts: facts, method: method, path: path,
                    maxTokens: maxTokens, fallbackModel: fallback)
            }
        }
        context.sink?.record(record, attempts: attemptRecords, overhead: processingOverhead())
    }

    /// The leader's answer, stored and given to every identical request that waited for it;
    /// without a complete 200 answer, the followers each go upstream themselves.
    private func handOffToFollowers() {
        guard let cached = request.cache, let cache = context.cache else { return }
        let followers = cache.leaderFinished(cached.key)
        var answer: [UInt8]?
        if let winner = machine.committed.map({ attempts[$0 - 1] }), winner.head?.status == 200, winner.failure == nil,
            !machine.clientGone
        {
            if let assembler = winner.assembler {
                answer = assembler.isComplete ? try? assembler.assembledBody() : nil
            } else if !winner.isEventStream {
                answer = winner.body
            }
        }
        if let token = sharedLockToken, let tier = cache.shared {
            sharedLockToken = nil
            tier.publish(
                namespace: Self.sharedNamespace(cached.key), key: cached.key.hex, token: token, value: answer,
                ttl: cached.ttl)
        }
        if let answer, !answer.isEmpty {
            if cache.store.store(cached.key, body: answer, ttl: cached.ttl, wall: context.clock.wallTime()) {
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
        guard !machine.finished, !machine.clientGone, let cached = request.cache, let cache = context.cache else { return }
        switch outcome {
        case .hit(let body) where !body.isEmpty:
            if cache.store.store(cached.key, body: body, ttl: cached.ttl, wall: context.clock.wallTime()) {
                cache.counters.stored.add(1, ordering: .relaxed)
            }
            cache.counters.hits.add(1, ordering: .relaxed)
            isCacheLeader = false
            for follower in cache.leaderFinished(cached.key) { follower.serveCoalesced(body) }
            handle(.answeredElsewhere)
            recorded = true
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
            goUpstream()
        default:
            goUpstream()
        }
    }

    /// The shared cache's namespace: the credential's fingerprint (never the credential), so
    /// a hit never crosses keys.
    private static func sharedNamespace(_ key: CacheKey) -> String { String(key.fingerprint.prefix(16)) }

    /// A follower gets the leader's answer.
    private func serveCoalesced(_ answer: [UInt8]) {
        guard isCacheFollower, !machine.finished, !machine.clientGone else { return }
        let response = CachedAnswerResponse.make(body: answer, wantsStream: request.wantsStream, source: "coalesced")
        handle(.answeredElsewhere)
        record()
        responder.respond(response)
    }

    /// The leader failed: this request tries for itself (and coalesces no more).
    private func goUpstreamAlone() {
        guard isCacheFollower, !machine.finished, !machine.clientGone else { return }
        isCacheFollower = false
        goUpstream()
    }

    private func recordFollower() {
        let end = now
        let clientGone = machine.clientGone
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

// MARK: - What the machine asks of the gateway

extension ProxiedCall: CallWorld {
    var regionNames: [String] { context.router.regions.map(\.name) }
    func region(named name: String) -> Region? { context.router.region(named: name) }
    func isDrained(_ region: String) -> Bool { context.router.isDrained(region) }
    func isStandby(_ region: String) -> Bool { context.router.isStandby(region) }
    func pick(excluding: Set<String>, peek: Bool) -> Region? {
        context.router.pick(excluding: excluding.union(CloudAttempt.excluded(context.cloud, request: request)), peek: peek)
    }

    func admitCircuit(region: String, model: String?) -> CircuitAdmission {
        guard let rules = context.rules,
            case .open(let retryAfter, let mode, let target) = rules.admit(region: region, model: model)
        else { return .go }
        return .open(retryAfter: retryAfter, mode: mode, target: target)
    }

    func isCircuitOpen(region: String, model: String?) -> Bool {
        context.rules?.isOpen(region: region, model: model) ?? false
    }

    func probeRegion(model: String?, among regions: [String]) -> String? {
        let excluded = CloudAttempt.excluded(context.cloud, request: request)
        return context.rules?.probeRegion(model: model, among: regions.filter { !excluded.contains($0) })
    }

    func fallBack(from model: String) -> String? {
        guard let replacement = context.rules?.fallback(for: model), replacement != model,
            var json = try? JSONParser.parse(request.body)
        else { return nil }
        json.set("model", .string(replacement))
        request.body = json.serialized()
        request.model = replacement
        let note = "circuit; model=\(replacement)"
        request.degraded = request.degraded.map { "\($0); \(note)" } ?? note
        return replacement
    }

    func paceKey(region: Region, model: String?) -> String { context.policy.paceKey(region: region, model: model) }
    func pacePool(model: String?) -> [String] { context.policy.pacePool(model: model) }
    func peekAdmission(_ request: RatePacer.Request) -> RateQueue.Admission { context.policy.peekAdmission(request, now: now) }
    func admit(_ request: RatePacer.Request) -> RatePacer.Grant { context.policy.admit(request, now: now) }
    func hasConcurrencyRoom(region: Region) -> Bool { context.policy.hasConcurrencyRoom(region: region) }
    func isAllowanceShort(region: Region) -> Bool { context.policy.isAllowanceShort(region: region, now: now) }
    func release(_ charge: PacingCharge) { context.policy.release(paceKey: charge.key, cost: charge.cost, due: charge.due, now: now) }
    func sendEarly(_ charge: PacingCharge) -> Bool {
        guard let due = charge.due else { return false }
        return context.policy.sendEarly(paceKey: charge.key, cost: charge.cost, due: due, now: now)
    }

    func hedgeKey(region: Region, model: String?) -> String { context.policy.key(region: region, model: model) }
    func hedgeDelay(key: String, model: String?) -> Double? { context.policy.hedgeDelay(key: key, model: model, now: now) }
    func usualFirstByte(key: String) -> Double? { context.policy.usualFirstByte(key: key, now: now) }
    func mayHedge() -> Bool { context.policy.mayHedge(atDelay: true, now: now) }
    func mayHedgeStraggler() -> Bool { context.policy.mayHedgeStraggler(now: now) }

    func retryDelay(after failure: Failure, nextAttempt: Int, remaining: Double, untriedRegionLeft: Bool) -> Double? {
        context.policy.retryDelay(
            after: failure, nextAttempt: nextAttempt, remaining: remaining,
            untriedRegionLeft: untriedRegionLeft, now: now)
    }

    func credentialsRefreshed(rejecting index: Int) -> Bool {
        let attempt = attempts[index - 1]
        if let cloud = context.cloud?[attempt.region.name] { return cloud.reportUnauthorized(attempt.sentHeaders) }
        return context.credentials.reportUnauthorized(attempt.sentHeaders)
    }
}
