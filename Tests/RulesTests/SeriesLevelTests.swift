import BallastCore
import Rules
import Testing

/// `level="attempt"` reads what the upstream answered to every attempt, which retries and
/// failover hide from request-level series; `level="request"` reads what the clients got.
@Suite struct SeriesLevelTests {
    /// 10 requests/s over 10 s, all answered 200: 4 of them after a 529 from the primary and a
    /// retry on the secondary. Requests: primary 6/s, secondary 4/s, no errors. Attempts:
    /// primary 10/s of which 4 failed, secondary 4/s.
    static let source: InMemoryWindowSource = {
        var source = InMemoryWindowSource(regions: ["primary", "secondary"])
        let model = "claude-sonnet-4-5"
        for second in 1...10 {
            source.add(sample(requests: 6), second: second, labels: SeriesLabels(region: "primary", model: model), level: .request)
            source.add(sample(requests: 4), second: second, labels: SeriesLabels(region: "secondary", model: model), level: .request)
            source.add(
                sample(requests: 10, failures: 4), second: second, labels: SeriesLabels(region: "primary", model: model),
                level: .attempt)
            source.add(sample(requests: 4), second: second, labels: SeriesLabels(region: "secondary", model: model), level: .attempt)
        }
        return source
    }()

    func value(_ text: String) -> String {
        switch Probe.evaluate(text, source: Self.source, now: 10) {
        case .success(let explanation): return explanation
        case .failure(let error): return "error: \(error)"
        }
    }

    @Test func attemptsShowWhatRetriesHide() {
        #expect(value("error_ratio[10s] > 0") == "false [error_ratio[10s]=0]")
        #expect(value(#"error_ratio{level="request"}[10s] > 0"#) == #"false [error_ratio{level="request"}[10s]=0]"#)
        #expect(value(#"error_ratio{level="attempt"}[10s] > 0"#) == #"true [error_ratio{level="attempt"}[10s]=0.2857]"#)
        #expect(value(#"error_ratio{level!="request"}[10s] > 0"#) == #"true [error_ratio{level!="request"}[10s]=0.2857]"#)
        #expect(value(#"request_count{level="attempt"}[10s] == 140"#).hasPrefix("true"))
        #expect(value(#"request_count[10s] == 100"#).hasPrefix("true"))
    }

    @Test func regionScopedSeriesReadAttemptsUnlessTold() {
        #expect(value(#"error_ratio{region="primary"}[10s] > 0"#) == #"true [error_ratio{region="primary"}[10s]=0.4]"#)
        #expect(value(#"error_ratio{region="primary", level="request"}[10s] > 0"#).hasPrefix("false"))
        #expect(value(#"request_count{region="primary", level="request"}[10s] == 60"#).hasPrefix("true"))
        #expect(value(#"error_ratio{level="attempt"}[10s] by (region) > 0"#) == #"{region="primary"}: true, {region="secondary"}: false"#)
    }

    @Test func theImpliedLevelFollowsTheRegionScopeAndTheWindow() {
        #expect(WindowQuery(window: 30).level == .request)
        #expect(WindowQuery(regions: ["primary"], window: 30).level == .attempt)
        #expect(WindowQuery(regions: ["primary"], window: SeriesLevel.attemptRetention).level == .attempt)
        #expect(WindowQuery(regions: ["primary"], window: 600).level == .request)
        #expect(WindowQuery(window: 30, level: .attempt).level == .attempt)
        #expect(WindowQuery(regions: ["primary"], window: 30, level: .request).level == .request)
    }

    @Test func seriesWithoutALevelCountAtBoth() {
        var source = InMemoryWindowSource()
        source.add(sample(requests: 5, failures: 1), second: 1, labels: SeriesLabels(region: "primary"))
        source.add(sample(requests: 2, failures: 2), second: 1, labels: SeriesLabels(region: "primary"), level: .attempt)
        #expect(source.window(WindowQuery(window: 10, level: .request), wallTime: 1).requests == 5)
        #expect(source.window(WindowQuery(window: 10, level: .attempt), wallTime: 1).requests == 7)
        #expect(source.window(WindowQuery(window: 10, level: .attempt), wallTime: 1).count(OutcomeClass.upstream) == 3)
    }

    @Test func mistakesWithLevelAreReported() {
        func issue(_ text: String) -> String {
            switch CompiledExpression.compile(text) {
            case .success: return "compiled"
            case .failure(let error): return error.issues.map { "\($0.offset): \($0.message)" }.joined(separator: " | ")
            }
        }
        #expect(issue(#"error_ratio{level="attempts"}[1m] > 0.2"#) == "18: unknown level 'attempts' (known: attempt, request)")
        #expect(
            issue(#"error_ratio{level=~"att.*"}[1m] > 0.2"#)
                == #"12: level takes = or != with "attempt" or "request", not a regular expression"#)
        #expect(
            issue(#"error_ratio{level="attempt", level="request"}[1m] > 0.2"#)
                == "35: level is already attempt; a series is either requests or attempts")
        #expect(
            issue(#"error_ratio{level="attempt"}[10m] > 0.2"#)
                == #"29: attempts are kept for 5m; a level="attempt" window must not be longer, not 10m"#)
        #expect(issue("error_ratio[1m] by (level) > 0.2") == #"20: cannot group by 'level'; select one with {level="attempt"} or {level="request"}"#)
        #expect(issue(#"error_ratio{level="request"}[10m] > 0.2"#) == "compiled")
        #expect(issue(#"error_ratio{level="attempt"}[5m] > 0.2"#) == "compiled")
    }
}
