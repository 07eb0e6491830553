public import BallastCore

/// One circuit: closed -> open -> half-open -> closed, driven by rules and by its own probes.
///
/// - A firing rule trips a closed circuit (`trip`). It stays open `openDuration(trip:)`:
///   `recover.after`, doubled on each repeated trip, capped at `max_open`.
/// - Then it goes half-open and hands out `probe.requests` permits; the gateway lets that
///   many requests through (`acquireProbe`). More failures than `max_error_ratio` allows open
///   it again at once, for longer (not longer while the regions still serving are short of
///   capacity, and briefly when the target would add to their allowance:
///   `advance(othersShort:reopenBriefly:)`); enough good probes close it. A probe answered 429
///   is the limit's, not the region's: it counts toward the probes, never as a failed one.
/// - After closing it settles for the tripping rule's longest window: the rule's windows still
///   hold the failures that opened it, so its firing is ignored until they have passed. During
///   that time the circuit watches the traffic since it closed and opens again itself if it
///   fails like the probes may not. No flapping between a stale rule and a fresh circuit.
/// - Once closed for `reset_after`, the trip count starts again from zero.
///
/// A pure value: every method takes the time, nothing reads a clock.
public struct CircuitBreaker: Sendable, Equatable {
    public enum Phase: Sendable, Equatable {
        case closed
        case open(until: MonotonicInstant)
        case halfOpen(since: MonotonicInstant)
    }

    /// The longest a circuit stays open after failed probes while the regions still serving
    /// are short of an allowance the target would add to (`advance(reopenBriefly:)`): a round
    /// of probes about every half second then. Each round costs a handful of requests that fail over (failing fast where
    /// the region answers at once), and every second the region stays out after it recovered
    /// is a second of requests queueing at the others. In the capacity simulation's region-down
    /// scenario (primary down 20-30 s), with circuits moved on as soon as probes answer: the
    /// open time kept at 2 s let the primary back at 31.6 s (p99 2,311 ms, 1.58x the oracle's
    /// bound); 1 s, 2,165 ms; 500 ms, 2,072 ms (back at 30.5 s); 250 ms, 2,071 ms with 29 more
    /// failed probes.
    static let reopenWhileOthersShort: Duration = .milliseconds(500)

    public let target: CircuitTarget
    public private(set) var phase: Phase = .closed
    public var policy: CircuitPolicy
    public var mode: CircuitMode
    /// Trips since the last reset; sets the open time.
    public private(set) var trips = 0
    /// When the state last changed.
    public private(set) var changedAt: MonotonicInstant
    public private(set) var closedAt: MonotonicInstant?
    /// Rules may trip the circuit from this time on (end of the settling after a close).
    public private(set) var armedAt = MonotonicInstant(nanoseconds: 0)
    /// Probe permits left to hand out while half-open.
    public private(set) var probePermits = 0
    private var permitsGrantedAt = MonotonicInstant(nanoseconds: 0)
    /// The settling after a close: the tripping rule's longest window.
    private var settle: Duration = .zero
    /// The rule that last tripped the circuit.
    public private(set) var owner: RuleKey?

    public init(
        target: CircuitTarget, policy: CircuitPolicy = CircuitPolicy(), mode: CircuitMode = .reroute, now: MonotonicInstant = MonotonicInstant(nanoseconds: 0)
    ) {
        self.target = target
        self.policy = policy
        self.mode = mode
        changedAt = now
    }

    public var state: CircuitState {
        switch phase {
        case .closed: .closed
        case .open: .open
        case .halfOpen: .halfOpen
        }
    }

    /// True when a firing rule may trip the circuit now.
    public func isArmed(at now: MonotonicInstant) -> Bool {
        phase == .closed && now >= armedAt
    }

    /// The time until an open circuit goes half-open (for `retry-after`); zero otherwise.
    public func retryAfter(at now: MonotonicInstant) -> Duration {
        if case .open(let until) = phase { return max(.zero, until - now) }
        return .zero
    }

    /// Opens a closed circuit. `settle` is how long to ignore rule trips after it next closes.
    public mutating func trip(at now: MonotonicInstant, settle: Duration, owner: RuleKey?) -> CircuitTransition? {
        guard phase == .closed else { return nil }
        self.settle = settle
        self.owner = owner
        return open(at: now, from: .closed, because: nil)
    }

    /// Moves the circuit on by time and by what its probes (or post-close traffic) did.
    /// `observe(since)` returns the target's counts since the instant `since`.
    /// `mayReopen` is false when the panic threshold forbids opening a closed (settling)
    /// circuit again; a half-open circuit may always open again, it carries no traffic.
    /// `othersShort`: failed probes open the circuit again for as long as the last time, not
    /// twice as long. The gateway sets it while the regions still serving are short of
    /// capacity: every second the region stays out after it recovered is then a second of
    /// requests queueing or refused there, and a failed probe costs a handful of requests that
    /// fail over (in the capacity simulation's region-down scenario, doubling kept a primary
    /// that recovered at 30 s out until 38.5 s, and the p99 went from 1.6x to 2.9x the
    /// oracle's bound). `reopenBriefly`, when the target would also bring allowance the short
    /// regions lack: for at most `reopenWhileOthersShort`. A relapse after closing still doubles.
    public mutating func advance(
        at now: MonotonicInstant, mayReopen: Bool = true, othersShort: Bool = false, reopenBriefly: Bool = false,
        observe: (MonotonicInstant) -> WindowResult
    ) -> CircuitTransition? {
        switch phase {
        case .open(let until):
            guard now >= until else { return nil }
            phase = .halfOpen(since: now)
            changedAt = now
            probePermits = policy.probe.requests
            permitsGrantedAt = now
            return CircuitTransition(from: .open, to: .halfOpen, detail: "letting \(policy.probe.requests) probe requests through")
        case .halfOpen(let since):
            let result = observe(since)
            let failures = failed(result)
            let total = result.requests
            let probe = policy.probe
            if failures > probe.allowedFailures, Double(failures) > probe.maxErrorRatio * Double(total) {
                return open(
                    at: now, from: .halfOpen, because: "probes: \(failures) of \(total) failed", again: !othersShort,
                    atMost: reopenBriefly ? Self.reopenWhileOthersShort : nil)
            }
            if total >= probe.requests {
                phase = .closed
                changedAt = now
                closedAt = now
                armedAt = now + settle
                probePermits = 0
                return CircuitTransition(from: .halfOpen, to: .closed, detail: "probes: \(failures) of \(total) failed")
            }
            if now - permitsGrantedAt >= probe.timeout {
                probePermits = max(probePermits, probe.requests - total)
                permitsGrantedAt = now
            }
            return nil
        case .closed:
            guard let closedAt else { return nil }
            if now < armedAt {
                guard mayReopen else { return nil }
                let result = observe(closedAt)
                let total = result.requests
                let failures = failed(result)
                if total >= policy.probe.requests, Double(failures) > policy.probe.maxErrorRatio * Double(total) {
                    return open(at: now, from: .closed, because: "failing again after closing: \(failures) of \(total) failed")
                }
            } else if trips > 0, now - closedAt >= policy.resetAfter {
                trips = 0
            }
            return nil
        }
    }

    /// Takes one probe permit while half-open; false when none is left (or not half-open).
    public mutating func acquireProbe() -> Bool {
        guard case .halfOpen = phase, probePermits > 0 else { return false }
        probePermits -= 1
        return true
    }

    /// Takes another instance's trip (shared mode): open until `until`, counting `trips`, so
    /// every instance goes half-open at the same moment and probes for itself. Nil when the
    /// circuit is already open that long (within 0.1 s: `until` comes from another clock).
    public mutating func adoptOpen(
        until: MonotonicInstant, trips: Int, settle: Duration, owner: RuleKey?, at now: MonotonicInstant
    ) -> CircuitTransition? {
        if case .open(let current) = phase, current >= until - .milliseconds(100) { return nil }
        let from = state
        self.trips = max(self.trips, trips)
        self.settle = settle
        self.owner = owner ?? self.owner
        phase = .open(until: until)
        changedAt = now
        probePermits = 0
        return CircuitTransition(
            from: from, to: .open,
            detail: "open for \(DurationText.format(max(.zero, until - now).seconds)) (trip \(self.trips))")
    }

    /// Takes another instance's close (its probes passed): closed now, settling as after a
    /// close of its own. Nil when already closed.
    public mutating func adoptClosed(at now: MonotonicInstant) -> CircuitTransition? {
        guard phase != .closed else { return nil }
        let from = state
        phase = .closed
        changedAt = now
        closedAt = now
        armedAt = now + settle
        probePermits = 0
        return CircuitTransition(from: from, to: .closed, detail: "closed")
    }

    /// True when the circuit is closed, has no trips to remember and is not settling: it can
    /// be forgotten.
    func isIdle(at now: MonotonicInstant) -> Bool {
        phase == .closed && trips == 0 && now >= armedAt
    }

    /// The failures among `result` that speak against the target: 429s (the limit's answer, in
    /// the upstream class) are left out, as the region rules leave them out.
    private func failed(_ result: WindowResult) -> Int {
        let failures = result.count(policy.probe.classes)
        return policy.probe.classes.contains(.upstream) ? max(0, failures - result.status429) : failures
    }

    /// `again`: counts a trip, so the open time grows; false keeps the last open time.
    /// `atMost` caps the open time (`reopenWhileOthersShort`).
    private mutating func open(
        at now: MonotonicInstant, from: CircuitState, because: String?, again: Bool = true, atMost: Duration? = nil
    ) -> CircuitTransition {
        if again || trips == 0 { trips += 1 }
        var duration = policy.openDuration(trip: trips)
        if let atMost { duration = min(duration, atMost) }
        phase = .open(until: now + duration)
        changedAt = now
        probePermits = 0
        var detail = "open for \(DurationText.format(duration.seconds)) (trip \(trips))"
        if let because { detail = because + "; " + detail }
        return CircuitTransition(from: from, to: .open, detail: detail)
    }
}
