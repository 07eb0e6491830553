import BallastCore
@testable import Gateway
import Rules
import Testing
@testable import RulesRuntime

/// The attempt-level run of failures (`consecutive_failures` by region, which `region-failing`
/// reads) is the run in the order the region answered. Attempts are handed over when their
/// request ends: a first attempt answered 529 at once comes in only after its retry on the
/// standby answered, so in a burst it arrives after the successes the region gave later.
@Suite struct AttemptWindowsTests {
    private static let model = "claude-sonnet-4-6"

    private static func attempt(
        _ region: String, index: Int = 1, status: Int, at time: Double,
        latency: Double
    ) -> AttemptRecord {
        AttemptRecord(
            time: time, region: region, model: model, index: index, status: status,
            outcome: status == 200 ? .success : .upstream, errorType: status == 200 ? nil : "overloaded_error",
            latency: latency, timeToFirstByte: latency)
    }

    private static func primaryRun(_ windows: AttemptWindows, now: Double) -> WindowResult {
        windows.window(regions: ["primary"], models: nil, length: 2, failing: .defaultFailures, wallTime: now)
    }

    /// Ten requests at once during a 40% wave (seen in a full test run, with 14 of them): the
    /// primary answers four 529s within a few milliseconds and six 200s 30 to 80 ms later.
    /// The six are recorded first; the four after their retries on the secondary. Sent at the
    /// same instant, they count in the order the primary answered them: its last answers were
    /// successes, no run. Before, the four came last in arrival order and made a run of four
    /// (fourteen in the full run: `region-failing` opened the primary).
    @Test func aRunCountsTheRegionsAnswersInTheOrderTheyCame() {
        let windows = AttemptWindows()
        for i in 0..<6 {
            windows.record(Self.attempt("primary", status: 200, at: 100, latency: 0.03 + 0.01 * Double(i)))
        }
        for i in 0..<4 {
            windows.record(Self.attempt("primary", status: 529, at: 100, latency: 0.002 + 0.001 * Double(i)))
            windows.record(Self.attempt("secondary", index: 2, status: 200, at: 100.06, latency: 0.04))
        }
        let primary = Self.primaryRun(windows, now: 100.2)
        #expect(primary.consecutiveFailures == 0)
        #expect(primary.requests == 10)
        #expect(primary.count(.defaultFailures) == 4)
    }

    /// Failures of the latest attempts still make a run, whatever the order their requests
    /// ended in; a success of an attempt sent before them does not end it, even recorded after
    /// them; one sent after them does.
    @Test func failuresAnsweredLastStillMakeARun() {
        let windows = AttemptWindows()
        windows.record(Self.attempt("primary", status: 200, at: 100, latency: 0.02))
        // Answered at 100.05, 100.04, 100.03 and recorded in that order (their retries ended so).
        for i in 0..<3 {
            windows.record(Self.attempt("primary", status: 529, at: 100.03, latency: 0.02 - 0.01 * Double(i)))
        }
        // A success answered before all three, recorded after them (its stream ended later).
        windows.record(Self.attempt("primary", status: 200, at: 100, latency: 0.025))
        #expect(Self.primaryRun(windows, now: 100.2).consecutiveFailures == 3)
        // A success sent after them ends the run.
        windows.record(Self.attempt("primary", status: 200, at: 100.04, latency: 0.03))
        #expect(Self.primaryRun(windows, now: 100.2).consecutiveFailures == 0)
    }

    /// A stalled attempt counts once, as a local failure when its first byte fell overdue: its
    /// record when the request ends (cancelled after a copy won, or answered at last) carries
    /// `countedEarly` and is not counted again.
    @Test func anOverdueAttemptIsCountedWhenItFellOverdueAndNotAgainAtItsEnd() {
        let windows = AttemptWindows()
        for i in 0..<3 {
            windows.record(
                AttemptRecord(
                    time: 100, region: "primary", model: Self.model, index: 1, status: 0, outcome: .local,
                    errorType: "first_byte_overdue", latency: 2 + 0.01 * Double(i)))
        }
        let local = OutcomeClassSet([.local])
        let overdue = windows.window(regions: ["primary"], models: nil, length: 10, failing: local, wallTime: 102.5)
        #expect(overdue.requests == 3 && overdue.consecutiveFailures == 3)
        // The same attempts end later: one answered after all, two cancelled by their copies.
        var answered = Self.attempt("primary", status: 200, at: 100, latency: 4)
        answered.countedEarly = true
        windows.record(answered)
        for _ in 0..<2 {
            var cancelled = AttemptRecord(
                time: 100, region: "primary", model: Self.model, index: 1, status: 0, outcome: .ballast, cancelled: true,
                latency: 3)
            cancelled.countedEarly = true
            windows.record(cancelled)
        }
        let later = windows.window(regions: ["primary"], models: nil, length: 10, failing: local, wallTime: 104.5)
        #expect(later.requests == 3 && later.consecutiveFailures == 3)
    }

    /// A region answering in 1.8 s starts refusing connections: its refusals come back at once,
    /// while the answers of attempts sent before the outage keep arriving for 1.8 s. In the
    /// order of sending the refusals are the latest: a run at once. (In the order of their
    /// ends the answers broke the run until they stopped: the region went out 2.5 s into the
    /// outage, capacity simulation seed 120.)
    @Test func answersOfAttemptsSentBeforeAnOutageDoNotHideIt() {
        let windows = AttemptWindows()
        let local = OutcomeClassSet([.local])
        for i in 0..<10 {
            let sent = 200 + 0.1 * Double(i)
            // Sent before the outage at 201, answered 1.8 s later.
            windows.record(Self.attempt("primary", status: 200, at: sent, latency: 1.8))
            // Sent after it, refused within a millisecond.
            windows.record(
                AttemptRecord(
                    time: 201 + 0.1 * Double(i), region: "primary", model: Self.model, index: 1, status: 0, outcome: .local,
                    errorType: "connect_failed", latency: 0.001))
        }
        let run = windows.window(regions: ["primary"], models: nil, length: 10, failing: local, wallTime: 202)
        #expect(run.consecutiveFailures == 10)
    }

    /// The run is the window's: failures that ended before it say nothing of the region now,
    /// so a region whose last attempts failed a minute ago and that has had none since has no
    /// run (`region-down` would otherwise trip at its next evaluation).
    @Test func aRunEndsAtTheStartOfItsWindow() {
        let windows = AttemptWindows()
        for i in 0..<5 {
            windows.record(Self.attempt("primary", status: 503, at: 100 + 0.1 * Double(i), latency: 0.01))
        }
        #expect(windows.window(regions: ["primary"], models: nil, length: 10, failing: .defaultFailures, wallTime: 101).consecutiveFailures == 5)
        #expect(windows.window(regions: ["primary"], models: nil, length: 10, failing: .defaultFailures, wallTime: 160).consecutiveFailures == 0)
    }
}
