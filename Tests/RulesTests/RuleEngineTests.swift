import BallastConfig
import BallastCore
import BallastTesting
import Rules
import Testing

/// The evaluation step as a pure function of (rules, telemetry, state, time).
@Suite struct RuleEngineTests {
    static let failing = """
        groups:
          - name: failover
            interval: 1s
            rules:
              - name: primary-failing
                when: error_ratio{region="primary", class="upstream|local"}[10s] > 0.5 and request_rate{region="primary"}[10s] > 1
                for: 3s
                action: { circuit: open, target: { region: primary } }
                recover: { after: 10s, probe: { requests: 5, max_error_ratio: 0.2 } }
        """

    /// primary: 10 requests/s, all failing from second `from` on.
    static func source(failingFrom from: Int, until end: Int = 1000, seconds: Int = 60) -> InMemoryWindowSource {
        var source = InMemoryWindowSource(regions: ["primary", "secondary"])
        for second in 0..<seconds {
            let failures = second >= from && second < end ? 10 : 0
            source.add(sample(requests: 10, failures: failures), second: second, labels: SeriesLabels(region: "primary"))
        }
        return source
    }

    @Test func pendingThenFiringThenResolved() {
        let rules = ruleSet(Self.failing)
        var state = RuleEngineState()
        let changes = run(rules, source: Self.source(failingFrom: 10, until: 30), state: &state, from: 0, to: 15)
        #expect(changes.isEmpty)
        let key = RuleKey(group: "failover", rule: "primary-failing")
        // At 14s half of the 10s window fails: 0.5 is not above 0.5. At 15s it is: pending.
        #expect(state.pending == [RuleInstance(key: key)])
        #expect(state.alert(RuleInstance(key: key))?.activeSince == 15)
        let more = run(rules, source: Self.source(failingFrom: 10, until: 30), state: &state, from: 16, to: 18)
        #expect(more.map(\.time) == [18, 18, 18, 18])
        #expect(
            more.map(\.change.summary) == [
                "rule_fired region=primary firing", "circuit_changed region=primary open",
                "route_shifted region=primary weight=0", "route_shifted region=secondary weight=100",
            ])
        #expect(state.firing == [RuleInstance(key: key)])
    }

    @Test func auditEntriesSayWhyWhoAndWhen() throws {
        let rules = ruleSet(Self.failing)
        let clock = ManualClock(start: MonotonicInstant(nanoseconds: 0), wallTime: 1_700_000_000)
        var state = RuleEngineState()
        // The source's seconds are wall-clock seconds here.
        var source = InMemoryWindowSource(regions: ["primary", "secondary"])
        for second in 0..<30 {
            source.add(
                sample(requests: 10, failures: second >= 5 ? 10 : 0, outcome: .local), second: 1_700_000_000 + second,
                labels: SeriesLabels(region: "primary", model: "claude-sonnet-4-5"))
        }
        var events: [AuditEvent] = []
        for _ in 0...14 {
            let evaluation = RuleEngine.evaluate(rules, state: state, source: source, now: RuleTime(clock: clock))
            state = evaluation.state
            events.append(contentsOf: evaluation.auditEvents)
            clock.advance(seconds: 1)
        }
        let opened = try #require(events.first { $0.kind == .circuitChanged })
        // Failing from 5s: above half of the 10s window at 10s, for 3s: open at 13s.
        #expect(opened.time == 1_700_000_013)
        #expect(opened.target == "region=primary")
        #expect(opened.action == "open")
        #expect(opened.actor == "rule:primary-failing")
        #expect(
            opened.reason
                == #"open for 10s (trip 1); error_ratio{region="primary", class="upstream|local"}[10s] > 0.5 and request_rate{region="primary"}[10s] > 1 [error_ratio{region="primary", class="upstream|local"}[10s]=0.9, request_rate{region="primary"}[10s]=10]"#
        )
        let fired = try #require(events.first { $0.kind == .ruleFired })
        #expect(fired.action == "firing")
        #expect(fired.reason.contains("=0.9"))
    }

    @Test func groupsAreEvaluatedAtTheirInterval() {
        let rules = ruleSet(
            """
            groups:
              - name: fast
                interval: 500ms
                rules: [ { name: a, when: "request_rate[10s] >= 0" } ]
              - name: slow
                interval: 5s
                rules: [ { name: b, when: "request_rate[10s] >= 0" } ]
            """)
        #expect(rules.tickInterval == .milliseconds(500))
        var state = RuleEngineState()
        var evaluated: [String] = []
        for tick in 0...20 {
            let evaluation = RuleEngine.evaluate(rules, state: state, source: InMemoryWindowSource(), now: RuleTime(seconds: Double(tick) * 0.5))
            state = evaluation.state
            evaluated.append(contentsOf: evaluation.evaluatedGroups)
        }
        #expect(evaluated.filter { $0 == "fast" }.count == 21)
        #expect(evaluated.filter { $0 == "slow" }.count == 3)
    }

    @Test func theSameInputsGiveTheSameOutputs() {
        let rules = ruleSet(Self.failing)
        let source = Self.source(failingFrom: 5)
        var first = RuleEngineState()
        var second = RuleEngineState()
        let a = run(rules, source: source, state: &first, from: 0, to: 40)
        let b = run(rules, source: source, state: &second, from: 0, to: 40)
        #expect(first == second)
        #expect(a.map(\.change) == b.map(\.change))
    }

    @Test func probesAndStatusForTheGateway() {
        let rules = ruleSet(Self.failing)
        var state = RuleEngineState()
        // Pending at 10s, open at 13s for 10s.
        _ = run(rules, source: Self.source(failingFrom: 5), state: &state, from: 0, to: 13)
        #expect(
            state.circuitStatus(region: "primary", model: "claude-opus-4-1", at: 14)
                == .open(target: CircuitTarget(region: "primary"), retryAfter: 9, mode: .reroute))
        #expect(state.circuitStatus(region: "secondary", model: nil, at: 14) == .closed)
        _ = run(rules, source: Self.source(failingFrom: 5), state: &state, from: 14, to: 23)
        #expect(state.circuitStatus(region: "primary", model: nil, at: 23) == .halfOpen(target: CircuitTarget(region: "primary"), permits: 5))
        var probes: [Bool] = []
        for _ in 0..<6 { probes.append(state.acquireProbe(region: "primary", model: nil)) }
        #expect(probes == [true, true, true, true, true, false])
        #expect(state.circuitStatus(region: "primary", model: nil, at: 23) == .open(target: CircuitTarget(region: "primary"), retryAfter: 1, mode: .reroute))
        let closedProbe = state.acquireProbe(region: "secondary", model: nil)
        #expect(!closedProbe)
    }

    @Test func aModelCircuitWithoutAnAvailableFallbackIsRefused() {
        let rules = ruleSet(
            """
            degradation:
              fallback: { "claude-opus-*": claude-sonnet-4-5 }
            groups:
              - name: g
                rules:
                  - name: model-down
                    when: error_ratio[10s] by (model) > 0.5
                    action: { circuit: open, target: { model: "$model" }, mode: fallback }
            """)
        var source = InMemoryWindowSource(regions: ["primary", "secondary"])
        for second in 0..<10 {
            source.add(sample(requests: 10, failures: 10), second: second, labels: SeriesLabels(region: "primary", model: "claude-opus-4-1"))
            source.add(sample(requests: 10, failures: 10), second: second, labels: SeriesLabels(region: "primary", model: "claude-haiku-4-5"))
        }
        var state = RuleEngineState()
        let changes = run(rules, source: source, state: &state, from: 9, to: 15).map(\.change.summary)
        #expect(state.circuitState(CircuitTarget(model: "claude-opus-4-1")) == .open)
        #expect(state.circuitState(CircuitTarget(model: "claude-haiku-4-5")) == .closed)
        #expect(
            changes.filter { $0.hasPrefix("circuit_changed") } == [
                "circuit_changed model=claude-haiku-4-5 refused_open", "circuit_changed model=claude-opus-4-1 open",
            ])
    }

    @Test func aDrainThatWouldLeaveNoRegionIsRefused() {
        let rules = ruleSet(
            """
            groups:
              - name: g
                rules:
                  - name: unhealthy
                    when: error_ratio[10s] by (region) > 0.5
                    action: { route: drain, target: { region: "$region" }, step: 50% }
            """, context: RuleContext(regions: [RuleRegion(name: "primary", weight: 50), RuleRegion(name: "secondary", weight: 50)]))
        var source = InMemoryWindowSource()
        for second in 0..<20 {
            for region in ["primary", "secondary"] {
                source.add(sample(requests: 10, failures: 10), second: second, labels: SeriesLabels(region: region))
            }
        }
        var state = RuleEngineState()
        let changes = run(rules, source: source, state: &state, from: 0, to: 10).map(\.change.summary)
        #expect(state.weights == ["primary": 0, "secondary": 100])
        #expect(changes.filter { $0.contains("refused") } == ["route_shifted region=secondary refused_drain"])
    }
}

/// Reloads: all or nothing, and the state of unchanged rules survives.
@Suite struct ReloadTests {
    static let before = """
        groups:
          - name: g
            rules:
              - { name: keep, when: "request_rate[10s] > 1", for: 1m }
              - { name: drop, when: "request_rate[10s] > 1", action: { degrade: 2 }, recover: { after: 10s } }
        """
    static let after = """
        groups:
          - name: g
            rules:
              - { name: keep, when: "request_rate[10s] > 2", for: 1m }
              - { name: added, when: "request_rate[10s] > 1000" }
        """

    static var busy: InMemoryWindowSource {
        var source = InMemoryWindowSource(regions: ["primary"])
        for second in 0..<200 { source.add(sample(requests: 10), second: second, labels: SeriesLabels(region: "primary")) }
        return source
    }

    @Test func unchangedRulesKeepTheirStateRemovedOnesResolve() {
        let old = ruleSet(Self.before)
        let new = ruleSet(Self.after)
        var state = RuleEngineState()
        _ = run(old, source: Self.busy, state: &state, from: 0, to: 30)
        #expect(state.degradationLevel == 2)
        let keep = RuleInstance(key: RuleKey(group: "g", rule: "keep"))
        #expect(state.alert(keep)?.phase == .pending)
        let reload = RuleEngine.reload(state: state, from: old, to: new, now: RuleTime(seconds: 30), actor: "operator:alice")
        #expect(reload.changes.map(\.summary) == ["rule_resolved rule=drop resolved", "rules_reloaded rules reloaded"])
        #expect(reload.changes.last?.reason == "1 files, 1 groups, 2 rules; added: added; removed: drop")
        #expect(reload.changes.last?.actor == "operator:alice")
        state = reload.state
        // `keep` stays pending since 1s and fires at 61s as if nothing happened.
        #expect(state.alert(keep)?.activeSince == 1)
        _ = run(new, source: Self.busy, state: &state, from: 31, to: 60)
        #expect(state.firing.isEmpty)
        _ = run(new, source: Self.busy, state: &state, from: 61, to: 61)
        #expect(state.firing == [keep])
        // The removed rule's degradation steps down by its own recover.after: 10s per level.
        #expect(state.degradationLevel == 0)
    }

    @Test func aReloadWithAnyErrorChangesNothing() {
        let good = RuleSource(path: "good.yaml", text: Self.after)
        let bad = RuleSource(
            path: "bad.yaml",
            text: """
                groups:
                  - name: other
                    rules:
                      - { name: x, when: "request_rat[10s] > 1" }
                      - { name: y, when: "request_rate[10s] >" }
                """)
        let result = RuleSet.parse([good, bad], context: RuleContext(regions: [RuleRegion(name: "primary", weight: 100)]))
        guard case .failure(let error) = result else {
            Issue.record("must fail")
            return
        }
        #expect(
            error.issues.map(\.description) == [
                "bad.yaml:4:27: unknown function 'request_rat' (known: \(WindowFunction.allCases.map(\.rawValue).joined(separator: ", ")))",
                "bad.yaml:5:46: the expression ends too early: a value or function is missing",
            ])
    }

    @Test func loadingFromDiskCollectsEveryFile() throws {
        let directory = "/tmp/ballast-rules-tests-\(UInt64.random(in: 0...UInt64.max))"
        try FileHelper.write(directory + "/a.yaml", Self.before)
        try FileHelper.write(directory + "/b.yaml", "groups: [ { name: h, rules: [ { name: r, when: 'nope[1m] > 1' } ] } ]\n")
        defer { FileHelper.remove(directory) }
        guard case .failure(let error) = RuleSet.load(paths: [directory + "/*.yaml"]) else {
            Issue.record("must fail")
            return
        }
        #expect(error.issues.count == 1)
        #expect(error.issues.first?.location.file == directory + "/b.yaml")
        #expect(error.issues.first?.location.column == 49)
        try FileHelper.write(directory + "/b.yaml", "groups: []\n")
        let loaded = try RuleSet.load(paths: [directory + "/*.yaml"]).get()
        #expect(loaded.files == [directory + "/a.yaml", directory + "/b.yaml"])
        #expect(loaded.rules.map(\.name) == ["keep", "drop"])
    }
}

/// Reload on file change: the fingerprint moves when a rule file is edited, added or removed.
@Suite struct RuleFilesTests {
    @Test func fingerprintChangesWithTheFiles() throws {
        let directory = "/tmp/ballast-fingerprint-\(UInt64.random(in: 0...UInt64.max))"
        defer { FileHelper.remove(directory) }
        try FileHelper.write(directory + "/a.yaml", "groups: []\n")
        let first = RuleFiles.fingerprint([directory + "/*.yaml"])
        #expect(first == RuleFiles.fingerprint([directory + "/*.yaml"]))
        try FileHelper.write(directory + "/a.yaml", "groups: []\n# edited\n")
        let edited = RuleFiles.fingerprint([directory + "/*.yaml"])
        #expect(edited != first)
        try FileHelper.write(directory + "/b.yaml", "groups: []\n")
        #expect(RuleFiles.fingerprint([directory + "/*.yaml"]) != edited)
        #expect(RuleFiles.fingerprint([directory + "/missing.yaml"]) == directory + "/missing.yaml:missing")
    }
}
