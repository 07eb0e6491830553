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
    /// The six end first; the four end after their retries on the secondary. The primary's
    /// last answers were successes: no run. Before, the four came last in arrival order and
    /// made a run of four (fourteen in the full run: `region-failing` opened the primary).
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

    /// Failures that really are the region's latest answers still make a run, whatever the
    /// order their requests ended in; a success answered before them does not end it.
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
        // A success answered after them ends the run.
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
}
